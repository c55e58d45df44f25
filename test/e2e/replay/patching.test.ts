/**
 * patched() / deprecatePatch() across a code change, on our runtime against the real server: the
 * histories v1 and v2 write must replay with the versions that are meant to accept them and be
 * rejected by the ones that are not; and a run started on v1 must finish on the old path after
 * the worker is switched to v2.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection } from '../../../core/connection/connection.js';
import { Replayer, type ReplayResult } from '../../../core/replay/index.js';
import { WorkerEntity } from '../../../core/worker/worker-entity.js';
import { WorkflowSandbox } from '../../../sandbox/workflow-sandbox.js';
import { patchingActivities } from '../../fixtures/workflows/patching/activities.js';
import { officialClient, ourConnection, uniqueTaskQueue, waitFor } from '../../helpers/temporal.js';

type IHistory = proto.temporal.api.history.v1.IHistory;
const EventType = proto.temporal.api.enums.v1.EventType;

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/workflows/patching');
const versions = {
  v1: path.join(dir, 'v1.ts'),
  v2: path.join(dir, 'v2.ts'),
  v3: path.join(dir, 'v3.ts'),
  unpatched: path.join(dir, 'unpatched-change.ts'),
} as const;
type Version = keyof typeof versions;

let client: Client;
let closeClient: () => Promise<void>;
let connection: Connection;
let sandbox: WorkflowSandbox;
const replayers = new Map<Version, Replayer>();
/** Entities closing in the background: a close waits ~3 s for polls, which no test needs to watch. */
const closing: Promise<void>[] = [];

beforeAll(async () => {
  ({ client, close: closeClient } = await officialClient());
  connection = await ourConnection();
  sandbox = await WorkflowSandbox.create({ threads: 2, deadlockTimeoutMs: 1000, maxOldGenerationSizeMb: 64 });
  // One replayer per version, all in the test's sandbox.
  for (const v of Object.keys(versions) as Version[]) replayers.set(v, await Replayer.create({ workflowsPath: versions[v], sandbox }));
});
afterAll(async () => {
  await Promise.all(closing);
  for (const r of replayers.values()) await r.close();
  await sandbox?.close();
  await closeClient?.();
  await connection?.close();
});

/** Our runtime with one version of the code, on its own task queue unless one is given. */
async function workerOn(version: Version, taskQueue = uniqueTaskQueue('patching')): Promise<{ entity: WorkerEntity; taskQueue: string }> {
  const entity = new WorkerEntity({ taskQueue, workflowsPath: versions[version], activities: { ...patchingActivities } }, { connection, sandbox });
  await entity.start();
  return { entity, taskQueue };
}

/** Runs `patchedWorkflow` to completion on `version`; returns its result and history. */
async function runOn(version: Version): Promise<{ result: string; history: IHistory }> {
  const { entity, taskQueue } = await workerOn(version);
  try {
    const handle = await client.workflow.start('patchedWorkflow', { taskQueue, workflowId: taskQueue, args: [false] });
    const result = await handle.result();
    return { result, history: await handle.fetchHistory() };
  } finally {
    closing.push(entity.close());
  }
}

const replayWith = (version: Version, history: IHistory): Promise<ReplayResult> => replayers.get(version)!.replay(history);
const eventTypes = (h: IHistory): number[] => (h.events ?? []).map((e) => e.eventType ?? 0);

/** Waits until a `patchedWorkflow` run has done its step and completed the task after it: blocked on its signal. */
async function blockedOnSignal(handle: { fetchHistory(): Promise<IHistory> }): Promise<void> {
  await waitFor(
    async () => {
      const types = eventTypes(await handle.fetchHistory());
      return types.includes(EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED) && types.at(-1) === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED;
    },
    15_000,
    'the run to block on its signal',
  );
}
/** 'ok', or the error: a failed expectation then shows why the replay failed. */
const verdict = (r: ReplayResult): string => (r.ok ? 'ok' : `${r.error.code}: ${r.error.message}`);
const errorOf = (r: ReplayResult): { code: string; message: string } => (r.ok ? { code: 'OK', message: '' } : r.error);

describe('patching across a code change (our runtime, real server)', () => {
  it('a v1 history replays with v2 (old path, no marker) and fails with an unpatched change', async () => {
    const { result, history } = await runOn('v1');
    expect(result).toBe('old:old step done');
    expect(eventTypes(history)).not.toContain(EventType.EVENT_TYPE_MARKER_RECORDED);

    // v2 must take the old path on replay: the new one would schedule `newStep` where history has `oldStep`.
    expect(verdict(await replayWith('v2', history))).toBe('ok');
    const unpatched = errorOf(await replayWith('unpatched', history));
    expect(unpatched.code).toBe('WORKFLOW_NONDETERMINISM');
    expect(unpatched.message).toMatch(/event 5 \(ActivityTaskScheduled: activity id '1', type 'oldStep'\)/);
    expect(unpatched.message).toContain("type 'newStep'");
    // Deprecating the patch while v1 runs may still exist is the same mistake.
    expect(errorOf(await replayWith('v3', history)).code).toBe('WORKFLOW_NONDETERMINISM');
  });

  it('a v2 history (with the marker) replays with v2 and v3, not with v1', async () => {
    const { result, history } = await runOn('v2');
    expect(result).toBe('new:new step done');
    const marker = history.events!.find((e) => e.eventType === EventType.EVENT_TYPE_MARKER_RECORDED);
    expect(marker?.markerRecordedEventAttributes?.markerName).toBe('core_patch');

    expect(verdict(await replayWith('v2', history))).toBe('ok');
    expect(verdict(await replayWith('v3', history))).toBe('ok');
    const v1 = errorOf(await replayWith('v1', history));
    expect(v1.code).toBe('WORKFLOW_NONDETERMINISM');
    expect(v1.message).toContain(`event ${Number(marker!.eventId)} `);
    expect(v1.message).toContain("patch 'my-change'");
  });

  it('a history replayed in the sandbox that still caches its live run leaves that run alone', async () => {
    const live = await workerOn('v1');
    const { taskQueue } = live;
    const handle = await client.workflow.start('patchedWorkflow', { taskQueue, workflowId: taskQueue, args: [true] });
    try {
      await blockedOnSignal(handle);
      // Same run id, same sandbox: the replay must build a run of its own, and its eviction must not take the live one.
      expect(verdict(await replayWith('v1', await handle.fetchHistory()))).toBe('ok');
      await handle.signal('proceed');
      expect(await handle.result()).toBe('old:old step done');
      expect(live.entity.status().workflow?.failed).toBe(0);
      expect(eventTypes(await handle.fetchHistory())).not.toContain(EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
    } finally {
      closing.push(live.entity.close());
    }
  });

  it('a run started on v1 and blocked on a signal finishes on the old path after the switch to v2', async () => {
    const first = await workerOn('v1');
    const { taskQueue } = first;
    const handle = await client.workflow.start('patchedWorkflow', { taskQueue, workflowId: taskQueue, args: [true] });
    try {
      // Blocked: the old step is done and the task after it completed, nothing more to do.
      await blockedOnSignal(handle);
    } finally {
      // Its cache goes with it: v2 must rebuild the run from history.
      await first.entity.close();
    }
    const second = await workerOn('v2', taskQueue);
    try {
      await handle.signal('proceed');
      expect(await handle.result()).toBe('old:old step done');
    } finally {
      closing.push(second.entity.close());
    }
    const history = await handle.fetchHistory();
    const types = eventTypes(history);
    expect(types).not.toContain(EventType.EVENT_TYPE_MARKER_RECORDED);
    expect(types).not.toContain(EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
    expect(verdict(await replayWith('v2', history))).toBe('ok');
  });
});
