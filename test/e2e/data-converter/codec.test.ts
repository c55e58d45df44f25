/**
 * Payload codecs and converters on the workflow path, against the real server: what the server
 * stores carries the codec's encoding, and our worker writes the same payloads as the official one.
 */
import path from 'node:path';
import { Client, WorkflowFailedError } from '@temporalio/client';
import { defaultFailureConverter, defaultPayloadConverter, type LoadedDataConverter } from '@temporalio/common';
import type proto from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayHistory } from '../../../core/replay/index.js';
import type { WorkerDataConverter } from '../../../core/worker/data-converter.js';
import { WorkerEntity } from '../../../core/worker/worker-entity.js';
import { WorkflowSandbox } from '../../../sandbox/workflow-sandbox.js';
import * as activities from '../../fixtures/data-converter/activities.js';
import { payloadConverter as dateConverter } from '../../fixtures/data-converter/date-converter.js';
import { EncryptionCodec, ENCRYPTED } from '../../fixtures/data-converter/encryption-codec.js';
import { failureConverter } from '../../fixtures/data-converter/failure-converter.js';
import { dates, failing, secretGreeting, shoutUpdate, stateQuery, suffixSignal } from '../../fixtures/data-converter/workflows.js';
import { NativeConnection, Worker } from '../../../compat/index.js';
import { workerSpecSchema } from '../../../core/runtime/worker-spec.js';
import { officialBundle, startOfficialWorker } from '../../helpers/official-worker.js';
import { testRuntime } from '../../helpers/runtime.js';
import { temporalAddress, uniqueTaskQueue, useServer, waitFor } from '../../helpers/temporal.js';
import { encodingOf, encodingsByEvent, payloadsIn } from './payloads.js';

const fixtures = path.resolve('test/fixtures/data-converter');
const workflowsPath = path.join(fixtures, 'workflows.ts');
const server = useServer();
const codec = EncryptionCodec.withRandomKey();
let sandbox: WorkflowSandbox;

beforeAll(async () => {
  sandbox = await WorkflowSandbox.create({ threads: 1 });
});
afterAll(() => sandbox?.close());

type Start = (taskQueue: string) => Promise<() => Promise<void>>;

function ours(dataConverter: WorkerDataConverter): Start {
  return async (taskQueue) => {
    const entity = new WorkerEntity({ taskQueue, workflowsPath, activities, dataConverter }, { connection: server.connection, sandbox });
    await entity.start();
    return () => entity.close();
  };
}

/** The official worker; converter paths go into its bundle (its main side cannot require .ts files). */
function official(dataConverter: WorkerDataConverter): Start {
  const { payloadCodecs, ...paths } = dataConverter;
  return async (taskQueue) => (await startOfficialWorker(taskQueue, { activities, dataConverter: { payloadCodecs }, workflowBundle: await officialBundle(workflowsPath, [], paths) }, workflowsPath)).stop;
}

/** The drop-in facade, given the options object an official worker file would give. */
function facade(dataConverter: WorkerDataConverter): Start {
  return async (taskQueue) => {
    const connection = await NativeConnection.connect({ address: temporalAddress() });
    const worker = await Worker.create({ connection, taskQueue, workflowsPath, activities, dataConverter });
    const running = worker.run();
    return async () => {
      worker.shutdown();
      await running;
      await connection.close();
    };
  };
}

function client(dataConverter: Partial<LoadedDataConverter>): Client {
  return new Client({ connection: server.client.connection, namespace: 'default', dataConverter: { payloadConverter: defaultPayloadConverter, failureConverter: defaultFailureConverter, payloadCodecs: [], ...dataConverter } });
}

async function secretRun(start: Start) {
  const taskQueue = uniqueTaskQueue('codec');
  const stop = await start(taskQueue);
  try {
    const handle = await client({ payloadCodecs: [codec] }).workflow.start(secretGreeting, { taskQueue, workflowId: taskQueue, args: ['Ada'] });
    // A query input and result pass the codec both ways (the strict codec throws on plain ones).
    await waitFor(async () => (await handle.query(stateQuery, '>> ')).greeting !== undefined, 20_000, 'the activity result');
    const state = await handle.query(stateQuery, '>> ');
    const shouted = await handle.executeUpdate(shoutUpdate, { args: ['psst'] });
    await handle.signal(suffixSignal, '!');
    return { result: await handle.result(), state, shouted, history: await handle.fetchHistory() };
  } finally {
    await stop();
  }
}

describe('payload codecs on the workflow path', () => {
  it('an encryption codec round-trips through activity, signal, query and update; the server holds only encrypted payloads', async () => {
    const run = await secretRun(ours({ payloadCodecs: [codec] }));
    expect(run.result).toBe('Hello, Ada!');
    expect(run.state).toEqual({ greeting: '>> Hello, Ada' });
    expect(run.shouted).toBe('PSST');
    const encodings = encodingsByEvent(run.history);
    expect(encodings).toEqual([
      `workflowExecutionStarted:${ENCRYPTED}`,
      `activityTaskScheduled:${ENCRYPTED}`,
      `activityTaskCompleted:${ENCRYPTED}`,
      `workflowExecutionUpdateAccepted:${ENCRYPTED}`,
      `workflowExecutionUpdateCompleted:${ENCRYPTED}`,
      `workflowExecutionSignaled:${ENCRYPTED}`,
      `workflowExecutionCompleted:${ENCRYPTED}`,
    ]);

    const yardstick = await secretRun(official({ payloadCodecs: [codec] }));
    expect(yardstick.result).toBe(run.result);
    expect(encodingsByEvent(yardstick.history)).toEqual(encodings);
    const dropIn = await secretRun(facade({ payloadCodecs: [codec] }));
    expect(dropIn.result).toBe(run.result);
    expect(encodingsByEvent(dropIn.history)).toEqual(encodings);

    // The replayer needs the codec too: without it the workflow cannot read its input.
    expect(await replayHistory(run.history, { workflowsPath, dataConverter: { payloadCodecs: [codec] } })).toMatchObject({ ok: true });
    expect(await replayHistory(yardstick.history, { workflowsPath, dataConverter: { payloadCodecs: [codec] } })).toMatchObject({ ok: true });
    const without = await replayHistory(run.history, { workflowsPath });
    expect(without.ok).toBe(false);
    expect(without.ok ? '' : without.error.message).toContain(`Unknown encoding: ${ENCRYPTED}`);
  });

  it('a custom payload converter revives Dates inside workflows and activities', async () => {
    const taskQueue = uniqueTaskQueue('dates');
    const stop = await ours({ payloadConverterPath: path.join(fixtures, 'date-converter.ts') })(taskQueue);
    try {
      const when = new Date('2020-01-02T03:04:05.000Z');
      const handle = await client({ payloadConverter: dateConverter }).workflow.start(dates, { taskQueue, workflowId: taskQueue, args: [when] });
      const result = await handle.result();
      expect(result).toEqual({ inWorkflow: true, inActivity: true, nextDay: new Date('2020-01-03T03:04:05.000Z') });
      expect(result.nextDay).toBeInstanceOf(Date);
      expect(new Set(payloadsIn(await handle.fetchHistory()).map(encodingOf))).toEqual(new Set(['json/dates']));
    } finally {
      await stop();
    }
  });

  it('a failure converter with encodeCommonAttributes: the message is encrypted in history, the client decodes it', async () => {
    const dataConverter = { failureConverterPath: path.join(fixtures, 'failure-converter.ts'), payloadCodecs: [codec] };
    const failures: (proto.temporal.api.failure.v1.IFailure | null | undefined)[] = [];
    for (const start of [ours(dataConverter), official(dataConverter)]) {
      const taskQueue = uniqueTaskQueue('failure');
      const stop = await start(taskQueue);
      try {
        const handle = await client({ failureConverter, payloadCodecs: [codec] }).workflow.start(failing, { taskQueue, workflowId: taskQueue, args: ['top secret'] });
        const err = await handle.result().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(WorkflowFailedError);
        expect((err as WorkflowFailedError).cause).toMatchObject({ message: 'top secret', type: 'SecretFailure' });
        const events = (await handle.fetchHistory()).events ?? [];
        failures.push(events.find((e) => e.workflowExecutionFailedEventAttributes)?.workflowExecutionFailedEventAttributes?.failure);
      } finally {
        await stop();
      }
    }
    for (const failure of failures) {
      expect(failure?.message).toBe('Encoded failure');
      expect(encodingOf(failure!.encodedAttributes!)).toBe(ENCRYPTED);
      expect(JSON.stringify(failure)).not.toContain('top secret');
    }
  });

  it('Runtime.addWorker takes dataConverter in-process, through the module policy; a JSON spec (POST /workers, config) cannot carry it', async () => {
    expect(workerSpecSchema.safeParse({ taskQueue: 'tq', dataConverter: { payloadConverterPath: '/tmp/x.js' } }).success).toBe(false);
    const runtime = await testRuntime({}, { sandbox });
    try {
      // Code paths pass the module policy like workflowsPath: nothing outside the module roots loads.
      await expect(runtime.addWorker({ taskQueue: uniqueTaskQueue('refused'), activities, dataConverter: { payloadConverterPath: '/etc/hostname' } })).rejects.toMatchObject({ code: 'MODULE_REFUSED', message: expect.stringMatching(/^dataConverter.payloadConverterPath "\/etc\/hostname" refused/) });
      const taskQueue = uniqueTaskQueue('runtime-codec');
      // A relative converter path resolves against the runtime's baseDir (test/fixtures/plugins), as workflowsPath does.
      await runtime.addWorker({ taskQueue, workflowsPath, activities, dataConverter: { payloadCodecs: [codec], failureConverterPath: '../data-converter/failure-converter.ts' } });
      const handle = await client({ payloadCodecs: [codec] }).workflow.start(secretGreeting, { taskQueue, workflowId: taskQueue, args: ['Cy'] });
      await handle.signal(suffixSignal, '.');
      expect(await handle.result()).toBe('Hello, Cy.');
      expect(new Set(payloadsIn(await handle.fetchHistory()).map(encodingOf))).toEqual(new Set([ENCRYPTED]));
    } finally {
      await runtime.shutdown();
    }
  });
});
