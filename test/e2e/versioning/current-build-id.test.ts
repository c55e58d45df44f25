/**
 * `workflowInfo().currentBuildId` / `currentDeploymentVersion` and the default build id, ours
 * (through the drop-in facade) against the official worker on the real server, with the same
 * options: the worker's own version on tasks it runs new, the version recorded in history on
 * tasks it replays (cache off, so every task replays the ones before), the same in the replayer,
 * and the build id stamped on each WorkflowTaskCompleted.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { NativeConnection as OfficialConnection, Worker as OfficialWorker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NativeConnection, Worker } from '../../../compat/index.js';
import { installOfficialRuntime } from '../../helpers/official-worker.js';
import { officialClient, temporalAddress, uniqueTaskQueue } from '../../helpers/temporal.js';

const workflowsPath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/versioning/build-ids.ts');

let client: Client;
let closeClient: () => Promise<void>;
beforeAll(async () => {
  installOfficialRuntime('WARN');
  ({ client, close: closeClient } = await officialClient());
});
afterAll(() => closeClient?.());

type Record = [step: string, buildId: string, version: unknown, replaying: boolean];
type Sides = 'official' | 'ours';

function probeSinks(into: Record[]) {
  return { probe: { record: { fn: (_info: unknown, ...args: unknown[]) => void into.push(args as Record), callDuringReplay: true } } };
}

/** Runs `reportsVersions` on one side with `extra` options; returns what it recorded live, the history, and what the replayer recorded. */
async function run(side: Sides, extra: object): Promise<{ live: Record[]; replayed: Record[]; stamped: string[]; history: unknown }> {
  const taskQueue = uniqueTaskQueue(`build-id-${side}`);
  const live: Record[] = [];
  const replayed: Record[] = [];
  const options = { taskQueue, workflowsPath, maxCachedWorkflows: 0, sinks: probeSinks(live), ...extra };
  const Impl = side === 'official' ? { W: OfficialWorker, C: OfficialConnection } : { W: Worker, C: NativeConnection };
  const connection = await Impl.C.connect({ address: temporalAddress() });
  // `as never`: both workers take the same official options object; their types differ only in brand.
  const worker = await Impl.W.create({ connection, ...options } as never);
  try {
    const history = await worker.runUntil(async () => {
      const handle = await client.workflow.start('reportsVersions', { taskQueue, workflowId: taskQueue });
      await handle.result();
      return handle.fetchHistory();
    });
    await Impl.W.runReplayHistory({ workflowsPath, sinks: probeSinks(replayed), ...extra } as never, history as never);
    const stamped = (history.events ?? []).flatMap((e) => (e.workflowTaskCompletedEventAttributes ? [e.workflowTaskCompletedEventAttributes.workerVersion?.buildId ?? ''] : []));
    return { live, replayed, stamped, history };
  } finally {
    await connection.close();
  }
}

/** Both sides, one after the other. */
async function both(extra: object) {
  return { official: await run('official', extra), ours: await run('ours', extra) };
}

const steps = (buildId: string, version: unknown, replayingFlags: boolean[]) =>
  ['start', 'start', 'after first timer', 'start', 'after first timer', 'after second timer'].map((step, i): Record => [step, buildId, version, replayingFlags[i]!]);
const LIVE_FLAGS = [false, true, false, true, true, false];

describe('currentBuildId and currentDeploymentVersion (real server)', () => {
  it('an explicit buildId: the same on every task, live, replaying and in the replayer, as on the official worker', async () => {
    const { official, ours } = await both({ buildId: 'build-7' });
    const expected = steps('build-7', { buildId: 'build-7', deploymentName: '' }, LIVE_FLAGS);
    expect(official.live).toEqual(expected);
    expect(ours.live).toEqual(official.live);
    expect(ours.replayed).toEqual(official.replayed);
    expect(ours.stamped).toEqual(['build-7', 'build-7', 'build-7']);
  });

  it('a deployment version (unversioned): its name and build id, as on the official worker', async () => {
    const extra = { workerDeploymentOptions: { version: { deploymentName: 'billing', buildId: 'b2' }, useWorkerVersioning: false } };
    const { official, ours } = await both(extra);
    expect(official.live).toEqual(steps('b2', { buildId: 'b2', deploymentName: 'billing' }, LIVE_FLAGS));
    expect(ours.live).toEqual(official.live);
    expect(ours.replayed).toEqual(official.replayed);
  });

  it('no build id: a default naming the package and the bundle hash, stamped on every task', async () => {
    const { official, ours } = await both({});
    const oursId = ours.live[0]![1];
    expect(oursId).toMatch(/^tempo-worker-runtime@\d+\.\d+\.\d+\+[0-9a-f]{64}$/);
    expect(official.live[0]![1]).toMatch(/^@temporalio\/worker@\d+\.\d+\.\d+\+[0-9a-f]{64}$/);
    expect(ours.live).toEqual(steps(oursId, { buildId: oursId, deploymentName: '' }, LIVE_FLAGS));
    expect(ours.stamped).toEqual([oursId, oursId, oursId]);
  });

  it("replaying the other worker's history shows the version that ran each task then, not the replayer's", async () => {
    const recorded = await run('official', { buildId: 'recorded-by-official' });
    const replayed: Record[] = [];
    await Worker.runReplayHistory({ workflowsPath, buildId: 'the-replayer', sinks: probeSinks(replayed) } as never, recorded.history as never);
    expect(replayed).toEqual(recorded.replayed);
    expect(replayed.map((r) => r[1])).toEqual(['recorded-by-official', 'recorded-by-official', 'recorded-by-official']);
  });
});
