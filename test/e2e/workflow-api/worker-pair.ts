/**
 * One worker pair per test file: the same workflows on our runtime and on the official worker,
 * each on its own task queue of the real server. A scenario runs on both at once; the results
 * must be equal, both histories must have the same shape, and each history must replay on the
 * other side's replayer (ours in the official one, the official one in ours).
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import type proto from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, expect } from 'vitest';
import type { Connection } from '../../../core/connection/connection.js';
import { Replayer } from '../../../core/replay/index.js';
import type { WorkerEntityOptions } from '../../../core/worker/worker-entity-options.js';
import { WorkerEntity } from '../../../core/worker/worker-entity.js';
import { WorkflowSandbox } from '../../../sandbox/workflow-sandbox.js';
import { officialBundle, startOfficialWorker } from '../../helpers/official-worker.js';
import { officialClient, ourConnection, uniqueTaskQueue } from '../../helpers/temporal.js';
import { shapeOf } from '../replay/history-shape.js';

type IHistory = proto.temporal.api.history.v1.IHistory;

/** What a scenario gives back: the workflows whose histories are compared, and a comparable result. */
export interface ScenarioOutcome {
  handles: WorkflowHandle[];
  result: unknown;
}

export interface Side {
  client: Client;
  taskQueue: string;
  /** `${taskQueue}-${name}`: ids differ between the sides, so both can run at once. */
  id(name: string): string;
}

export type Scenario = (side: Side) => Promise<ScenarioOutcome>;

export interface PairOptions {
  workflowsPath: string;
  /** Workflow interceptor modules for both workers and both replayers. */
  interceptorModules?: string[];
}

/**
 * Sets up the pair for the calling test file (beforeAll/afterAll) and returns `compare`, which
 * runs one scenario on both sides and checks everything.
 */
export function workerPair(opts: PairOptions): {
  compare(scenario: Scenario): Promise<{ ours: unknown; official: unknown }>;
  readonly client: Client;
} {
  const oursQueue = uniqueTaskQueue('wfapi-ours');
  const officialQueue = uniqueTaskQueue('wfapi-official');
  const state = {} as {
    client: Client;
    closeClient: () => Promise<void>;
    connection: Connection;
    sandbox: WorkflowSandbox;
    ours: WorkerEntity;
    official: { stop: () => Promise<void> };
    bundle: { code: string };
    replayer: Replayer;
  };

  beforeAll(async () => {
    ({ client: state.client, close: state.closeClient } = await officialClient());
    state.connection = await ourConnection();
    state.sandbox = await WorkflowSandbox.create({ threads: 1, deadlockTimeoutMs: 2000, maxOldGenerationSizeMb: 64 });
    const ourOptions: Partial<WorkerEntityOptions> = { workflowInterceptorModules: opts.interceptorModules ?? [] };
    state.ours = new WorkerEntity({ taskQueue: oursQueue, workflowsPath: opts.workflowsPath, activities: {}, ...ourOptions }, { connection: state.connection, sandbox: state.sandbox });
    state.bundle = await officialBundle(opts.workflowsPath, opts.interceptorModules);
    // The official worker first: it installs the official Runtime, which its replayer needs too.
    [state.official] = await Promise.all([startOfficialWorker(officialQueue, { workflowBundle: state.bundle }, opts.workflowsPath), state.ours.start()]);
    state.replayer = await Replayer.create({ workflowsPath: opts.workflowsPath, sandbox: state.sandbox, workflowInterceptorModules: opts.interceptorModules });
  });
  afterAll(async () => {
    await Promise.all([state.ours?.close(), state.official?.stop()]);
    await state.replayer?.close();
    await state.sandbox?.close();
    await state.closeClient?.();
    await state.connection?.close();
  });

  const side = (taskQueue: string): Side => ({ client: state.client, taskQueue, id: (name) => `${taskQueue}-${name}` });

  return {
    get client() {
      return state.client;
    },
    async compare(scenario) {
      const [ours, official] = await Promise.all([scenario(side(oursQueue)), scenario(side(officialQueue))]);
      expect(ours.result, 'our result equals the official one').toEqual(official.result);
      const [oursHistories, officialHistories] = await Promise.all([historiesOf(ours.handles), historiesOf(official.handles)]);
      // Workflow-task events come and go with timing (a child can start and end in one task or two).
      const shape = (h: IHistory): string[] => shapeOf(h, 'parallelActivities');
      expect(oursHistories.map(shape)).toEqual(officialHistories.map(shape));
      // Workflow ids are passed on: workflow code derives its children's ids from its own.
      for (const [i, history] of oursHistories.entries()) {
        await Worker.runReplayHistory({ workflowBundle: state.bundle }, history, ours.handles[i]!.workflowId);
      }
      for (const history of officialHistories) {
        const replayed = await state.replayer.replay(history);
        expect(replayed.ok ? 'ok' : `${replayed.error.code}: ${replayed.error.message}`).toBe('ok');
      }
      return { ours: ours.result, official: official.result };
    },
  };
}

async function historiesOf(handles: WorkflowHandle[]): Promise<IHistory[]> {
  return Promise.all(handles.map((h) => h.fetchHistory()));
}
