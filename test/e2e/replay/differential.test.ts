/**
 * Differential replay against the official SDK, on the real server: each scenario workflow runs
 * once on our runtime and once on the official worker; the official replayer must accept our
 * histories and ours must accept the official ones. Where timing cannot change it, both runtimes
 * must also write the same history shape (sequence of event types) for the same inputs.
 */
import { scenarioActivities } from '../../fixtures/workflows/scenario-activities.js';
import { WorkflowFailedError, type Client, type WorkflowHandle, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import proto from '@temporalio/proto';
import { DeterminismViolationError } from '@temporalio/workflow';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection } from '../../../core/connection/connection.js';
import { Replayer } from '../../../core/replay/index.js';
import { WorkerEntity } from '../../../core/worker/worker-entity.js';
import { WorkflowSandbox } from '../../../sandbox/workflow-sandbox.js';
import { fixtureWorkflowsPath, startOfficialWorker } from '../../helpers/official-worker.js';
import { officialClient, ourConnection, temporalAddress, uniqueTaskQueue, waitFor } from '../../helpers/temporal.js';
import { findOrInstallTemporalCli } from '../../../core/dev-server/temporal-dev-server.js';
import { shapeOf, type Shape } from './history-shape.js';

type IHistory = proto.temporal.api.history.v1.IHistory;

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../..');
const modifiedScenariosPath = path.resolve(here, '../../fixtures/replay/modified-scenarios.ts');
/** Rejects on a non-zero exit, so a failing replay fails the test with its output. */
const run = promisify(execFile);

const activities = scenarioActivities;

/** Drives one scenario on `taskQueue`; returns the handles of the workflows it ran (all finished). */
type Scenario = (client: Client, taskQueue: string) => Promise<WorkflowHandle[]>;

const expectFailure = async (p: Promise<unknown>, name: string): Promise<void> => {
  const err = await p.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  expect((err as WorkflowFailedError).cause?.name).toBe(name);
};

async function executed(client: Client, taskQueue: string, type: string, args: unknown[] = [], suffix = ''): Promise<WorkflowHandle> {
  const handle = await client.workflow.start(type, { taskQueue, workflowId: `${taskQueue}-${type}${suffix}`, args });
  await handle.result();
  return handle;
}

/** `shape`: which history shape both runtimes must agree on (see history-shape.ts), if any. */
const scenarios: Array<{ name: string; shape?: Shape; run: Scenario }> = [
  { name: 'hello', shape: 'exact', run: async (c, tq) => [await executed(c, tq, 'hello', ['World'])] },
  { name: 'timers', run: async (c, tq) => [await executed(c, tq, 'timers')] },
  // The activity wins (the timer is cancelled), so nothing lingers after the workflow ends.
  { name: 'raceTimerAndActivity', run: async (c, tq) => [await executed(c, tq, 'raceTimerAndActivity', [5000, 10])] },
  {
    name: 'collector with signals and queries',
    run: async (c, tq) => {
      const h = await c.workflow.signalWithStart('collector', { taskQueue: tq, workflowId: `${tq}-collector`, signal: 'addItem', signalArgs: ['before-start'] });
      expect(await h.query('state')).toBe('collecting');
      await h.signal('addItem', 'after-start');
      await waitFor(async () => (await h.query<string[]>('items')).length === 2, 10_000, 'two items');
      await h.signal('finish');
      expect(await h.result()).toEqual(['before-start', 'after-start']);
      return [h];
    },
  },
  {
    name: 'conditionWithTimeout',
    run: async (c, tq) => {
      const timedOut = c.workflow.execute('conditionWithTimeout', { taskQueue: tq, workflowId: `${tq}-cond-a`, args: [200] });
      const signalled = await c.workflow.start('conditionWithTimeout', { taskQueue: tq, workflowId: `${tq}-cond-b`, args: [30_000] });
      await signalled.signal('finish');
      expect(await signalled.result()).toBe(true);
      expect(await timedOut).toBe(false);
      return [c.workflow.getHandle(`${tq}-cond-a`), signalled];
    },
  },
  { name: 'cancellationScopes', run: async (c, tq) => [await executed(c, tq, 'cancellationScopes')] },
  {
    name: 'cancellableWorkflow (cancel request)',
    run: async (c, tq) => {
      const h = await c.workflow.start('cancellableWorkflow', { taskQueue: tq, workflowId: `${tq}-cancellable` });
      await waitFor(async () => (await h.describe()).historyLength >= 5, 10_000, 'the timer to start');
      await h.cancel();
      await expectFailure(h.result(), 'CancelledFailure');
      return [h];
    },
  },
  { name: 'continueAsNewCounter', shape: 'exact', run: async (c, tq) => [await executed(c, tq, 'continueAsNewCounter', [3])] },
  {
    name: 'failsWithApplicationFailure',
    shape: 'exact',
    run: async (c, tq) => {
      const h = await c.workflow.start('failsWithApplicationFailure', { taskQueue: tq, workflowId: `${tq}-fails` });
      await expectFailure(h.result(), 'ApplicationFailure');
      return [h];
    },
  },
  { name: 'manyActivities(1, 3)', shape: 'parallelActivities', run: async (c, tq) => [await executed(c, tq, 'manyActivities', [1, 3])] },
];

let client: Client;
let closeClient: () => Promise<void>;
let connection: Connection;
let sandbox: WorkflowSandbox;
let ours: WorkerEntity;
let official: { stop: () => Promise<void> };
let officialBundle: { code: string };
let replayer: Replayer;
/** Histories per scenario name, ours and official, for the nondeterminism check at the end. */
const recorded = new Map<string, { ours: IHistory[]; official: IHistory[] }>();
const oursQueue = uniqueTaskQueue('replay-ours');
const officialQueue = uniqueTaskQueue('replay-official');

beforeAll(async () => {
  ({ client, close: closeClient } = await officialClient());
  connection = await ourConnection();
  sandbox = await WorkflowSandbox.create({ threads: 2, deadlockTimeoutMs: 1000, maxOldGenerationSizeMb: 64 });
  ours = new WorkerEntity({ taskQueue: oursQueue, workflowsPath: fixtureWorkflowsPath, activities }, { connection, sandbox });
  // The official worker first: it installs the official Runtime, which the official replayer needs too.
  [official] = await Promise.all([startOfficialWorker(officialQueue, { activities }), ours.start()]);
  // Bundled once: runReplayHistory would otherwise bundle (~1 s) for every history.
  [officialBundle, replayer] = await Promise.all([
    bundleWorkflowCode({ workflowsPath: fixtureWorkflowsPath, logger: new DefaultLogger('WARN') }),
    Replayer.create({ workflowsPath: fixtureWorkflowsPath, sandbox }),
  ]);
});
afterAll(async () => {
  await Promise.all([ours?.close(), official?.stop()]);
  await replayer?.close();
  await sandbox?.close();
  await closeClient?.();
  await connection?.close();
});

/** Histories of every run of the workflow, following continue-as-new from the first run. */
async function historiesOf(handles: WorkflowHandle[]): Promise<IHistory[]> {
  const histories: IHistory[] = [];
  for (const h of handles) {
    // Handles from start() know their first run; getHandle(id) ones are never continued here.
    let runId: string | undefined = (h as Partial<WorkflowHandleWithFirstExecutionRunId>).firstExecutionRunId ?? (await h.describe()).runId;
    while (runId) {
      const history = await client.workflow.getHandle(h.workflowId, runId).fetchHistory();
      histories.push(history);
      runId = history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
    }
  }
  return histories;
}

describe('differential replay against the official SDK (real server)', () => {
  it.each(scenarios)('$name', async ({ name, shape, run }) => {
    const [oursHandles, officialHandles] = await Promise.all([run(client, oursQueue), run(client, officialQueue)]);
    const [oursHistories, officialHistories] = await Promise.all([historiesOf(oursHandles), historiesOf(officialHandles)]);
    recorded.set(name, { ours: oursHistories, official: officialHistories });

    // (a) our histories in the official replayer: throws DeterminismViolationError or ReplayError on a mismatch.
    for (const history of oursHistories) await Worker.runReplayHistory({ workflowBundle: officialBundle }, history);
    // (b) the official histories in ours.
    for (const history of officialHistories) {
      const result = await replayer.replay(history);
      expect(result.ok ? 'ok' : `${result.error.code}: ${result.error.message}`, name).toBe('ok');
    }
    if (shape) expect(oursHistories.map((h) => shapeOf(h, shape))).toEqual(officialHistories.map((h) => shapeOf(h, shape)));
  });

  it('`temporal workflow show --output json` of our run replays through cli/replay.ts', async () => {
    const cli = await findOrInstallTemporalCli();
    const workflowId = `${oursQueue}-hello`;
    const { stdout: json } = await run(cli, ['workflow', 'show', '--address', temporalAddress(), '--namespace', 'default', '-w', workflowId, '--output', 'json']);
    const dir = await mkdtemp(path.join(tmpdir(), 'replay-cli-'));
    const file = path.join(dir, 'hello.json');
    await writeFile(file, json);
    try {
      const { stdout } = await run(path.join(repo, 'node_modules/.bin/tsx'), ['cli/replay.ts', '--workflows', fixtureWorkflowsPath, file], { cwd: repo });
      expect(stdout).toMatch(new RegExp(`^OK +.*hello\\.json \\(hello ${workflowId}/`, 'm'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a nondeterministic change (an extra timer) is caught by both replayers at event 5', async () => {
    const hello = recorded.get('hello');
    expect(hello, 'the hello scenario ran first').toBeDefined();
    const [modifiedBundle, modified] = await Promise.all([
      bundleWorkflowCode({ workflowsPath: modifiedScenariosPath, logger: new DefaultLogger('WARN') }),
      Replayer.create({ workflowsPath: modifiedScenariosPath, sandbox }),
    ]);
    try {
      // Sanity check of (a): the official replayer does reject our history when the code changed.
      await expect(Worker.runReplayHistory({ workflowBundle: modifiedBundle }, hello!.ours[0]!)).rejects.toThrow(DeterminismViolationError);
      const result = await modified.replay(hello!.official[0]!);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.error.code).toBe('WORKFLOW_NONDETERMINISM');
      expect(result.error.message).toMatch(/event 5 \(ActivityTaskScheduled: activity id '1', type 'greet'\).*issued StartTimer/);
    } finally {
      await modified.close();
    }
  });
});
