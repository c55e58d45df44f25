/**
 * Workflow Updates on the real server: every scenario runs on our runtime and on the official
 * worker with the same fixtures; both must give the same result and history shape, and each
 * runtime's histories must replay on the other's replayer (see harness.ts).
 */
import { WithStartWorkflowOperation, WorkflowUpdateFailedError, WorkflowUpdateStage, type Client, type WorkflowHandle } from '@temporalio/client';
import * as grpc from '@grpc/grpc-js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { findOrInstallTemporalCli } from '../../../core/dev-server/temporal-dev-server.js';
import { replayHistory } from '../../../core/replay/index.js';
import { temporalAddress, waitFor } from '../../helpers/temporal.js';
import { add, addLater, addSignal, addSignalLater, block, failing, finish, rollover, totalQuery, updatable, type UpdatableOptions } from '../../fixtures/workflows/updates/update-workflows.js';
import { countEvents, EventType, updateWorkflowsPath, useUpdatePair } from './harness.js';

const pair = useUpdatePair();

/**
 * Starts the workflow and waits for its first task to be done (a query is answered only after it),
 * so that where an update lands — with the first task or a later one — does not hang on timing.
 */
async function start(client: Client, taskQueue: string, name: string, options: UpdatableOptions = {}): Promise<WorkflowHandle<typeof updatable>> {
  const handle = await client.workflow.start(updatable, { taskQueue, workflowId: `${taskQueue}-${name}`, args: [options] });
  await handle.query(totalQuery);
  return handle;
}

/** What a failed update looks like to the client, stripped of what differs between runs. */
async function updateFailure(p: Promise<unknown>): Promise<{ name: string; cause?: string; message?: string; type?: string }> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (err as WorkflowUpdateFailedError).cause as { name?: string; message?: string; type?: string } | undefined;
  return { name: (err as Error).name, cause: cause?.name, message: cause?.message, type: cause?.type };
}

/**
 * The server admits at most 10 updates in flight per workflow and answers the rest
 * RESOURCE_EXHAUSTED; the client retries a while, which a loaded machine can outlast. Sending
 * again with the same update id is what an application does, and is safe: the id deduplicates.
 */
async function whileThrottled<T>(send: () => Promise<T>, deadlineMs = 60_000): Promise<T> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    try {
      return await send();
    } catch (err) {
      const code = ((err as { cause?: { code?: number } }).cause ?? (err as { code?: number })).code;
      // RESOURCE_EXHAUSTED: the server's in-flight update limit. UNAVAILABLE "workflow update was
      // aborted": the server dropped its in-memory update registry (e.g. a workflow task timed out
      // on a loaded machine). Both are retryable by contract; the same update id makes it safe.
      if ((code !== grpc.status.RESOURCE_EXHAUSTED && code !== grpc.status.UNAVAILABLE) || Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

describe('Workflow Updates, ours against the official worker (real server)', () => {
  it('a sync update returns its value; the workflow sees its update id', async () => {
    const { result } = await pair.compare(async (client, tq) => {
      const h = await start(client, tq, 'sync');
      const first = await h.executeUpdate(add, { args: [2], updateId: 'first' });
      const second = await h.executeUpdate(add, { args: [3], updateId: 'second' });
      const total = await h.query(totalQuery);
      const final = await h.executeUpdate(finish);
      return { result: { first, second, total, final, run: await h.result() }, handles: [h] };
    }, 'exact');
    expect(result).toEqual({ first: 2, second: 5, total: 5, final: 5, run: { total: 5, log: ['add 2 (first)', 'add 3 (second)'] } });
  });

  it('a validator that throws rejects the update; nothing of it reaches history', async () => {
    const { result, ours } = await pair.compare(async (client, tq) => {
      const h = await start(client, tq, 'reject');
      const rejected = await updateFailure(h.executeUpdate(add, { args: [-1], updateId: 'negative' }));
      const accepted = await h.executeUpdate(add, { args: [1], updateId: 'positive' });
      const rejectedAgain = await updateFailure(h.executeUpdate(add, { args: [-2] }));
      await h.executeUpdate(finish);
      return { result: { rejected, accepted, rejectedAgain, run: await h.result() }, handles: [h] };
    }, 'exact');
    expect(result).toMatchObject({
      rejected: { name: 'WorkflowUpdateFailedError', cause: 'ApplicationFailure', message: 'cannot add -1: negative' },
      accepted: 1,
      run: { total: 1, log: ['add 1 (positive)'] },
    });
    expect(countEvents(ours, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)).toBe(2);
  });

  it('a handler that throws completes the update with its failure', async () => {
    const { result } = await pair.compare(async (client, tq) => {
      const h = await start(client, tq, 'fail');
      const failed = await updateFailure(h.executeUpdate(failing, { args: ['boom'], updateId: 'f' }));
      const after = await h.executeUpdate(add, { args: [4], updateId: 'after' });
      await h.executeUpdate(finish);
      return { result: { failed, after, run: await h.result() }, handles: [h] };
    }, 'exact');
    expect(result).toMatchObject({ failed: { name: 'WorkflowUpdateFailedError', cause: 'ApplicationFailure', message: 'boom', type: 'UpdateFailed' }, after: 4 });
  });

  it('update-with-start, then with an existing workflow (USE_EXISTING)', async () => {
    const { result } = await pair.compare(async (client, tq) => {
      const workflowId = `${tq}-uws`;
      const startOp = () => new WithStartWorkflowOperation(updatable, { taskQueue: tq, workflowId, args: [{}], workflowIdConflictPolicy: 'USE_EXISTING' });
      const op = startOp();
      const first = await client.workflow.executeUpdateWithStart(add, { args: [7], updateId: 'uws-1', startWorkflowOperation: op });
      const h = await op.workflowHandle();
      const second = await client.workflow.startUpdateWithStart(add, { args: [1], updateId: 'uws-2', waitForStage: WorkflowUpdateStage.ACCEPTED, startWorkflowOperation: startOp() });
      const secondResult = await second.result();
      await h.executeUpdate(finish);
      return { result: { first, secondResult, run: await h.result() }, handles: [h] };
    }, 'exact');
    expect(result).toMatchObject({ first: 7, secondResult: 8, run: { total: 8 } });
  });

  it('an update accepted at once and completed later (startUpdate + result)', async () => {
    const { result } = await pair.compare(async (client, tq) => {
      const h = await start(client, tq, 'async');
      const handle = await h.startUpdate(addLater, { args: [4, 500], updateId: 'later', waitForStage: WorkflowUpdateStage.ACCEPTED });
      const totalWhileRunning = await h.query(totalQuery);
      const later = await h.getUpdateHandle<number>('later').result();
      const same = await handle.result();
      await h.executeUpdate(finish);
      return { result: { totalWhileRunning, later, same, run: await h.result() }, handles: [h] };
    }, 'exact');
    expect(result).toMatchObject({ totalWhileRunning: 0, later: 4, same: 4 });
  });

  it('the same update id twice runs once; after continue-as-new the new run decides', async () => {
    const { result } = await pair.compare(async (client, tq) => {
      const h = await start(client, tq, 'dedup');
      const once = await h.executeUpdate(add, { args: [5], updateId: 'dup' });
      const twice = await h.executeUpdate(add, { args: [5], updateId: 'dup' });
      const totalBefore = await h.query(totalQuery);
      await h.executeUpdate(rollover, { updateId: 'roll' });
      // The handle follows the chain: the next update goes to the new run.
      const latest = client.workflow.getHandle<typeof updatable>(h.workflowId);
      const afterCan = await latest.executeUpdate(add, { args: [5], updateId: 'dup' });
      await latest.executeUpdate(finish);
      return { result: { once, twice, totalBefore, afterCan, run: await latest.result() }, handles: [h] };
    }, 'exact');
    // The server remembers update ids per run: the new run runs 'dup' again, on both workers.
    expect(result).toEqual({ once: 5, twice: 5, totalBefore: 5, afterCan: 10, run: { total: 10, log: ['add 5 (dup)'] } });
  });

  it('an update, a signal and a timer land in one workflow task', async () => {
    const { result, ours } = await pair.compare(async (client, tq) => {
      const h = await start(client, tq, 'race', { timerMs: 300 });
      await h.signal(block, 2000);
      // While that task is held, the timer fires and the signal and update arrive.
      await waitFor(async () => (await h.describe()).raw.pendingWorkflowTask?.state === 2, 10_000, 'the blocking task to start');
      await new Promise((r) => setTimeout(r, 400));
      await h.signal(addSignal, 10);
      const update = h.executeUpdate(add, { args: [1], updateId: 'racer' });
      const value = await update;
      await h.executeUpdate(finish);
      return { result: { value, run: await h.result() }, handles: [h] };
    }, 'exact');
    expect(result).toMatchObject({ run: { log: ['blocked', 'signal 10', 'add 1 (racer)', 'timer'] } });
    // The signal and the update came in the same task: one WorkflowTaskCompleted before the accept.
    expect(ours[0]!.events!.some((e) => e.eventType === EventType.EVENT_TYPE_TIMER_FIRED)).toBe(true);
  });

  it('an update (and a signal) still running when the workflow completes: the update fails, both are warned about; allHandlersFinished waits', async () => {
    const { result } = await pair.compare(async (client, tq) => {
      const abandoned = await start(client, tq, 'abandon');
      const orphan = await abandoned.startUpdate(addLater, { args: [1, 60_000], updateId: 'orphan', waitForStage: WorkflowUpdateStage.ACCEPTED });
      await abandoned.signal(addSignalLater, 1, 60_000);
      await abandoned.executeUpdate(finish);
      const orphanFailure = await orphan.result().then(
        () => 'completed',
        (e: unknown) => (e as Error).name,
      );
      const waiting = await start(client, tq, 'wait', { waitForHandlers: true });
      await waiting.startUpdate(addLater, { args: [2, 300], updateId: 'slow', waitForStage: WorkflowUpdateStage.ACCEPTED });
      await waiting.executeUpdate(finish);
      return { result: { orphanFailure, abandoned: await abandoned.result(), waited: await waiting.result() }, handles: [abandoned, waiting] };
    }, 'parallelActivities'); // where a workflow task boundary falls between the signal and `finish` is timing, not code
    expect(result).toMatchObject({ abandoned: { total: 0 }, waited: { total: 2, log: ['addLater 2'] } });
    // The workflow library's warning for the abandoned handler, as the official worker prints it.
    const warning = pair.workflowLogs.find((r) => r.level === 'warn' && r.message.includes('update handler was still running'));
    expect(warning?.message).toContain('"id":"orphan"');
    expect(pair.workflowLogs.some((r) => r.level === 'warn' && r.message.includes('signal handler was still running') && r.message.includes('addSignalLater'))).toBe(true);
  });

  it('100 concurrent updates to one workflow', async () => {
    const { result, ours, official } = await pair.compare(async (client, tq) => {
      const h = await start(client, tq, 'many');
      const values = await Promise.all(Array.from({ length: 100 }, (_, i) => whileThrottled(() => h.executeUpdate(add, { args: [1], updateId: `u${i}` }))));
      const final = await h.executeUpdate(finish);
      const run = await h.result();
      return { result: { sorted: [...values].sort((a, b) => a - b), final, total: run.total, logged: run.log.length }, handles: [h] };
    });
    expect(result).toEqual({ sorted: Array.from({ length: 100 }, (_, i) => i + 1), final: 100, total: 100, logged: 100 });
    for (const histories of [ours, official]) {
      expect(countEvents(histories, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)).toBe(101);
      expect(countEvents(histories, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED)).toBe(101);
    }
  });

  it('an update history as `temporal workflow show --output json` replays on our replayer', async () => {
    const ids: string[] = [];
    await pair.compare(async (client, tq) => {
      const h = await start(client, tq, 'json');
      await h.executeUpdate(add, { args: [1], updateId: 'j1' });
      const rejected = await updateFailure(h.executeUpdate(add, { args: [-1], updateId: 'j2' }));
      await h.executeUpdate(finish);
      ids.push(h.workflowId);
      return { result: { rejected, run: await h.result() }, handles: [h] };
    }, 'exact');
    const cli = await findOrInstallTemporalCli();
    for (const workflowId of ids) {
      const { stdout } = await promisify(execFile)(cli, ['workflow', 'show', '--address', temporalAddress(), '--namespace', 'default', '-w', workflowId, '--output', 'json']);
      expect(stdout).toContain('EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED');
      const verdict = await replayHistory(stdout, { workflowsPath: updateWorkflowsPath });
      expect(verdict.ok ? 'ok' : `${verdict.error.code}: ${verdict.error.message}`).toBe('ok');
    }
  });
});
