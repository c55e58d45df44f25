/**
 * Nexus operations from a workflow, ours vs the official worker (real server): each caller
 * workflow runs on both runtimes (the shared worker pair) against a handler on another task queue,
 * served by the official worker and by ours; results, caller history shapes and cross replays
 * must agree.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection } from '../../../core/connection/connection.js';
import { WorkerEntity } from '../../../core/worker/worker-entity.js';
import { WorkflowSandbox } from '../../../sandbox/workflow-sandbox.js';
import { startOfficialWorker } from '../../helpers/official-worker.js';
import { ourConnection, uniqueTaskQueue, waitFor } from '../../helpers/temporal.js';
import { workerPair, type Scenario, type Side } from '../workflow-api/worker-pair.js';
import { slowStarted, testServiceHandler } from '../../fixtures/workflows/nexus/handlers.js';
import { createEndpoint, deleteEndpoint, uniqueEndpointName, type Endpoint } from './nexus-endpoints.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/workflows/nexus');
const workflowsPath = path.join(fixtures, 'workflows.ts');
const pair = workerPair({ workflowsPath });

/** The handlers: the same service (and the workflows behind its async operations) on each runtime. */
const handlers = {} as { official: Endpoint; ours: Endpoint };
let stopHandlers: Array<() => Promise<void>> = [];
let ourHandler: WorkerEntity;

beforeAll(async () => {
  const officialQueue = uniqueTaskQueue('nexus-handler-official');
  const oursQueue = uniqueTaskQueue('nexus-handler-ours');
  const connection: Connection = await ourConnection();
  const sandbox = await WorkflowSandbox.create({ threads: 1, deadlockTimeoutMs: 2000, maxOldGenerationSizeMb: 64 });
  const ours = (ourHandler = new WorkerEntity({ taskQueue: oursQueue, workflowsPath, nexusServices: [testServiceHandler] }, { connection, sandbox }));
  const [official] = await Promise.all([startOfficialWorker(officialQueue, { nexusServices: [testServiceHandler] }, workflowsPath), ours.start()]);
  stopHandlers = [official.stop, async () => (await ours.close(), await sandbox.close(), await connection.close())];
  [handlers.official, handlers.ours] = await Promise.all([
    createEndpoint(pair.client, uniqueEndpointName('official'), officialQueue),
    createEndpoint(pair.client, uniqueEndpointName('ours'), oursQueue),
  ]);
});
afterAll(async () => {
  await Promise.all(Object.values(handlers).map((e) => deleteEndpoint(pair.client, e)));
  await Promise.all(stopHandlers.map((stop) => stop()));
});

/**
 * Runs `type` with the endpoint and an id (`${name}-run`, named after the endpoint too: each
 * handler starts its own) for the workflow backing the operation.
 */
const calls =
  (type: string, endpoint: () => Endpoint, name = type, ...extra: unknown[]): Scenario =>
  async (side) => {
    const handle = await side.client.workflow.start(type, { taskQueue: side.taskQueue, workflowId: side.id(`${name}-${endpoint().name}`), args: [endpoint().name, runId(side, endpoint, name), ...extra] });
    return { handles: [handle], result: await handle.result() };
  };

const runId = (side: Side, endpoint: () => Endpoint, name: string): string => side.id(`${name}-${endpoint().name}-run`);

describe.each([
  ['the official worker', () => handlers.official],
  ['our runtime', () => handlers.ours],
])('Nexus operations served by %s (real server)', (_who, endpoint) => {
  it('a sync operation returns its result', async () => {
    const { ours } = await pair.compare(calls('callsSync', endpoint));
    expect(ours).toBe('echo: hi');
  });

  it('an async (workflow run) operation starts with a token, then completes', async () => {
    const { ours } = await pair.compare(calls('callsAsync', endpoint));
    expect(ours).toEqual({ token: true, result: 'Hello, Nexus' });
  });

  it('an OperationError fails the operation: NexusOperationFailure around an ApplicationFailure', async () => {
    const scenario: Scenario = async (side) => {
      const handle = await side.client.workflow.start('callsFailing', { taskQueue: side.taskQueue, workflowId: side.id(`op-error-${endpoint().name}`), args: [endpoint().name, 'failWithOperationError'] });
      return { handles: [handle], result: await handle.result() };
    };
    const { ours } = await pair.compare(scenario);
    expect(ours).toMatchObject({ name: 'NexusOperationFailure', operation: 'failWithOperationError', cause: { message: 'operation failed for x' } });
  });

  it('a non-retryable HandlerError fails the operation with the HandlerError as cause', async () => {
    const scenario: Scenario = async (side) => {
      const handle = await side.client.workflow.start('callsFailing', { taskQueue: side.taskQueue, workflowId: side.id(`handler-error-${endpoint().name}`), args: [endpoint().name, 'failWithHandlerError'] });
      return { handles: [handle], result: await handle.result() };
    };
    const { ours } = await pair.compare(scenario);
    expect(ours).toMatchObject({ name: 'NexusOperationFailure', cause: { name: 'HandlerError', type: 'BAD_REQUEST', message: 'bad request for x' } });
  });

  it.each(['WAIT_CANCELLATION_COMPLETED', 'WAIT_CANCELLATION_REQUESTED', 'TRY_CANCEL', 'ABANDON'])('a started operation cancelled with %s rejects with a cancelled NexusOperationFailure', async (type) => {
    const scenario: Scenario = async (side) => {
      const outcome = await calls('cancelsOperation', endpoint, `cancel-${type}`, type)(side);
      // An abandoned operation's workflow is never told: end it.
      if (type === 'ABANDON') await side.client.workflow.getHandle(runId(side, endpoint, `cancel-${type}`)).terminate('test done');
      return outcome;
    };
    const { ours } = await pair.compare(scenario);
    expect(ours).toMatchObject({ name: 'NexusOperationFailure', cause: { name: 'CancelledFailure' } });
  });

  it('an operation past its schedule-to-close timeout fails with a TimeoutFailure', async () => {
    const scenario: Scenario = async (side) => {
      const outcome = await calls('timesOut', endpoint)(side);
      // The workflow backing the operation keeps waiting: end it.
      await side.client.workflow.getHandle(runId(side, endpoint, 'timesOut')).terminate('test done').catch(() => undefined);
      return outcome;
    };
    const { ours } = await pair.compare(scenario);
    expect(ours).toMatchObject({ name: 'NexusOperationFailure', cause: { name: 'TimeoutFailure' } });
  });
});

// Last in the file: it drains our handler.
describe('draining an entity that serves Nexus handlers (real server)', () => {
  it('lets the Nexus tasks in flight finish within the grace, then stops', async () => {
    const before = slowStarted.count;
    const answeredBefore = ourHandler.status().nexus!.completed;
    const comparing = pair.compare(calls('callsSlow', () => handlers.ours, 'slow', 1500));
    await waitFor(() => slowStarted.count === before + 2, 20_000, 'both slow operations in flight');
    const started = performance.now();
    await ourHandler.drain({ graceMs: 20_000 });
    expect(ourHandler.state).toBe('DRAINED');
    // Both slow tasks were answered with their results before the drain ended.
    expect(ourHandler.status().nexus).toMatchObject({ slotsUsed: 0, completed: answeredBefore + 2 });
    // Cancelled handlers would have failed (and the server retried them on nobody): both succeed.
    expect((await comparing).ours).toBe('slept 1500 ms');
    expect(performance.now() - started).toBeLessThan(15_000);
  });
});
