import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleWorkflowCode } from '../../../sandbox/bundler.js';
import { WorkflowSandbox } from '../../../sandbox/workflow-sandbox.js';
import type { WorkflowLogRecord } from '../../../sandbox/protocol.js';
import { activation, commandsOf, decodeCompletion, fromPayload, payloads, RUN_INFO, startActivation, T0, ISOLATION_MODES } from './activations.js';

const workflowsPath = path.resolve('test/fixtures/workflows/sandbox/index.ts');

describe.each(ISOLATION_MODES)('WorkflowSandbox drives a workflow through activations (%s)', (isolation) => {
  let sandbox: WorkflowSandbox;
  let bundleId: string;
  const logs: WorkflowLogRecord[] = [];

  beforeAll(async () => {
    const bundle = await bundleWorkflowCode({ workflowsPath });
    sandbox = await WorkflowSandbox.create({ isolation, threads: 2, onWorkflowLog: (r) => logs.push(r) });
    sandbox.registerBundle(bundle);
    bundleId = bundle.id;
  });
  afterAll(() => sandbox?.close());

  it('hello: activity, then timer, then completion', async () => {
    const runId = 'run-hello';
    const first = commandsOf(await sandbox.activate({ runId, bundleId, activation: startActivation(runId, 'hello', ['Temporal']), info: RUN_INFO }));
    expect(first).toHaveLength(1);
    expect(first[0]?.scheduleActivity?.activityType).toBe('greet');
    expect(fromPayload(first[0]?.scheduleActivity?.arguments?.[0])).toBe('Temporal');
    expect(sandbox.runsCached()).toBe(1);

    const second = commandsOf(
      await sandbox.activate({
        runId,
        bundleId,
        activation: activation(runId, [{ resolveActivity: { seq: 1, result: { completed: { result: payloads('Hello, Temporal!')[0] } } } }], { timestampMs: T0 + 100 }),
      }),
    );
    expect(second[0]?.startTimer?.startToFireTimeout?.seconds?.toString()).toBe('1');

    const third = commandsOf(await sandbox.activate({ runId, bundleId, activation: activation(runId, [{ fireTimer: { seq: 1 } }], { timestampMs: T0 + 1200 }) }));
    expect(fromPayload(third[0]?.completeWorkflowExecution?.result)).toBe('Hello, Temporal!');

    expect(logs.some((l) => l.message === 'hello started' && l.level === 'info' && l.runId === runId && l.attributes.name === 'Temporal')).toBe(true);
    await sandbox.evict(runId);
    expect(sandbox.runsCached()).toBe(0);
  });

  it('counter: signals change state, queries read it, removeFromCache disposes the run', async () => {
    const runId = 'run-counter';
    const activate = (bytes: Uint8Array) => sandbox.activate({ runId, bundleId, activation: bytes, info: RUN_INFO });
    expect(commandsOf(await activate(startActivation(runId, 'counter', [3])))).toHaveLength(0);

    const signal = (by: number) => ({ signalWorkflow: { signalName: 'increment', input: payloads(by) } });
    expect(commandsOf(await activate(activation(runId, [signal(1)])))).toHaveLength(0);

    const query = commandsOf(await activate(activation(runId, [{ queryWorkflow: { queryId: 'q1', queryType: 'count', arguments: [] } }])));
    expect(query[0]?.respondToQuery?.queryId).toBe('q1');
    expect(fromPayload(query[0]?.respondToQuery?.succeeded?.response)).toBe(1);

    // Two signals in one activation, as after a sticky-queue miss: both apply before the workflow concludes.
    const done = commandsOf(await activate(activation(runId, [signal(1), signal(1)])));
    expect(fromPayload(done[0]?.completeWorkflowExecution?.result)).toBe(3);

    expect(sandbox.runsCached()).toBe(1);
    const evicted = decodeCompletion(await activate(activation(runId, [{ removeFromCache: { message: 'done' } }])));
    expect(evicted.successful).toBeTruthy();
    expect(sandbox.runsCached()).toBe(0);
  });

  it('a later activation for an unknown run fails with WORKFLOW_RUN_NOT_FOUND', async () => {
    await expect(sandbox.activate({ runId: 'never-started', bundleId, activation: activation('never-started', [{ fireTimer: { seq: 1 } }]) })).rejects.toMatchObject({
      code: 'WORKFLOW_RUN_NOT_FOUND',
    });
    expect(sandbox.runsCached()).toBe(0);
  });

  it('creating a run without its namespace and task queue fails with WORKFLOW_ACTIVATION_INVALID', async () => {
    const runId = 'run-no-info';
    await expect(sandbox.activate({ runId, bundleId, activation: startActivation(runId, 'counter', [1]) })).rejects.toMatchObject({
      code: 'WORKFLOW_ACTIVATION_INVALID',
    });
    expect(sandbox.runsCached()).toBe(0);
  });

  it('an unknown workflow type fails the activation, not the sandbox', async () => {
    const runId = 'run-missing-type';
    const completion = decodeCompletion(await sandbox.activate({ runId, bundleId, activation: startActivation(runId, 'noSuchWorkflow'), info: RUN_INFO }));
    expect(completion.failed?.failure?.message).toMatch(/noSuchWorkflow/);
    expect(sandbox.runsCached()).toBe(0);
  });

  it('an unhandled rejection fails the activation and leaves the thread alive', async () => {
    const runId = 'run-floating';
    const completion = decodeCompletion(await sandbox.activate({ runId, bundleId, activation: startActivation(runId, 'floatingRejection'), info: RUN_INFO }));
    expect(completion.failed?.failure?.message).toMatch(/Unhandled Promise rejection.*nobody listens/);
    await sandbox.evict(runId);
    const next = 'run-after-floating';
    expect(commandsOf(await sandbox.activate({ runId: next, bundleId, activation: startActivation(next, 'counter', [1]), info: RUN_INFO }))).toHaveLength(0);
    await sandbox.evict(next);
  });
});
