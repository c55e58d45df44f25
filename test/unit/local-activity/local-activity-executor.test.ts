import { Context } from '@temporalio/activity';
import { ApplicationFailure, defaultDataConverter } from '@temporalio/common';
import proto from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { LocalActivityExecutor } from '../../../core/local-activity/local-activity-executor.js';
import { localRetryPolicy, retryDelayMs } from '../../../core/local-activity/retry-policy.js';
import type { LocalActivityResolution } from '../../../core/workflow/machines/local-activity-machine.js';
import { int64 } from '../../../core/workflow/proto-types.js';
import { silentLogger } from '../../helpers/runtime.js';
import { payload } from '../workflow/history-builder.js';

type IScheduleLocalActivity = proto.coresdk.workflow_commands.IScheduleLocalActivity;
const ms = (n: number) => ({ seconds: int64(Math.floor(n / 1000)), nanos: (n % 1000) * 1e6 });

describe('local retry policy (the official core defaults and arithmetic)', () => {
  it('fills defaults: 1 s, x2, 100 x initial, unlimited', () => {
    expect(localRetryPolicy(undefined)).toEqual({ initialIntervalMs: 1000, backoffCoefficient: 2, maximumIntervalMs: 100_000, maximumAttempts: 0, nonRetryableErrorTypes: [] });
  });

  it('backs off exponentially up to the maximum, and stops at maximum attempts', () => {
    const p = localRetryPolicy({ initialInterval: ms(1000), backoffCoefficient: 2, maximumInterval: ms(10_000), maximumAttempts: 10 });
    expect([1, 2, 3, 4, 5, 6].map((a) => retryDelayMs(p, a, undefined))).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
    expect(retryDelayMs(p, 10, undefined)).toBeUndefined();
  });

  it('never retries non-retryable failures or listed types; honours nextRetryDelay', () => {
    const p = localRetryPolicy({ nonRetryableErrorTypes: ['NoRetry'] });
    expect(retryDelayMs(p, 1, { applicationFailureInfo: { nonRetryable: true } })).toBeUndefined();
    expect(retryDelayMs(p, 1, { applicationFailureInfo: { type: 'noretry' } })).toBeUndefined();
    expect(retryDelayMs(p, 1, { applicationFailureInfo: { type: 'Other', nextRetryDelay: ms(50_000) } })).toBe(50_000);
    // A timeout is not an application failure: always retryable.
    expect(retryDelayMs(p, 1, { timeoutFailureInfo: { timeoutType: 1 } })).toBe(1000);
  });
});

/** Polls until `cond` holds: the functions start asynchronously (Info, slots, argument decoding). */
async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
}

function executor(activities: Record<string, (...args: never[]) => unknown>, slots = 10) {
  return new LocalActivityExecutor({
    namespace: 'default',
    taskQueue: 'tq',
    activities: new Map(Object.entries(activities)),
    dataConverter: defaultDataConverter,
    logger: silentLogger,
    maxConcurrentLocalActivityExecutions: slots,
  });
}

function run(ex: LocalActivityExecutor, schedule: IScheduleLocalActivity, runId = 'run'): Promise<LocalActivityResolution> {
  return new Promise((resolve) => ex.start({ runId, workflowId: 'wf', workflowType: 'wfType', schedule: { activityId: String(schedule.seq), attempt: 1, ...schedule } }, resolve));
}

describe('local activity executor', () => {
  it('runs the function with the activity Context (isLocal) and returns its result', async () => {
    const ex = executor({ hello: (name: string) => `${name} ${Context.current().info.isLocal} ${Context.current().info.workflowExecution?.workflowId}` });
    const r = await run(ex, { seq: 1, activityType: 'hello', arguments: [payload('x')], startToCloseTimeout: ms(5000) });
    expect(r.result.kind).toBe('completed');
    expect(r.result.kind === 'completed' && new TextDecoder().decode(r.result.result!.data!)).toBe('"x true wf"');
  });

  it('retries short backoffs itself and hands a long one back as a backoff', async () => {
    let calls = 0;
    const ex = executor({ flaky: () => { calls++; throw ApplicationFailure.retryable('no'); } });
    const short = await run(ex, { seq: 1, activityType: 'flaky', startToCloseTimeout: ms(5000), retryPolicy: { initialInterval: ms(5), maximumAttempts: 3 } });
    expect(short).toMatchObject({ attempt: 3, backoff: null, result: { kind: 'failed' } });
    expect(calls).toBe(3);
    const long = await run(ex, { seq: 2, activityType: 'flaky', startToCloseTimeout: ms(5000), localRetryThreshold: ms(100), retryPolicy: { initialInterval: ms(500) } });
    expect(long).toMatchObject({ attempt: 1, result: { kind: 'failed' } });
    expect(Number(long.backoff!.nanos)).toBe(500e6);
  });

  it('times out an attempt at start-to-close, cancelling the function, and frees its slot at once', async () => {
    let cancelledWith: string | undefined;
    const ex = executor({ stuck: async () => { try { await Context.current().cancelled; } catch (e) { cancelledWith = (e as Error).message; } } }, 1);
    const r = await run(ex, { seq: 1, activityType: 'stuck', startToCloseTimeout: ms(50), retryPolicy: { maximumAttempts: 1 } });
    expect(r.result).toMatchObject({ kind: 'timedOut', failure: { timeoutFailureInfo: { timeoutType: proto.temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE } } });
    expect(cancelledWith).toBe('TIMED_OUT');
    expect(ex.slots.inUse).toBe(0);
  });

  it('schedule-to-start counts the wait for a slot: the second of two on one slot times out', async () => {
    const ex = executor({ slow: () => new Promise((r) => setTimeout(r, 150)) }, 1);
    const first = run(ex, { seq: 1, activityType: 'slow', startToCloseTimeout: ms(5000) });
    const second = await run(ex, { seq: 2, activityType: 'slow', startToCloseTimeout: ms(5000), scheduleToStartTimeout: ms(20) });
    expect(second.result).toMatchObject({ kind: 'timedOut', failure: { timeoutFailureInfo: { timeoutType: proto.temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START } } });
    expect((await first).result.kind).toBe('completed');
  });

  it('a cancel reaches a running function as CancelledFailure; one in backoff resolves at once', async () => {
    let started = false;
    let failures = 0;
    const ex = executor({
      wait: () => {
        started = true;
        return Context.current().cancelled;
      },
      flaky: () => {
        failures++;
        throw ApplicationFailure.retryable('no');
      },
    });
    const running = run(ex, { seq: 1, activityType: 'wait', startToCloseTimeout: ms(5000) });
    await until(() => started);
    expect(ex.cancel('run', 1)).toBeUndefined();
    expect((await running).result).toMatchObject({ kind: 'cancelled', failure: { message: 'CANCELLED', canceledFailureInfo: {} } });
    let resolved = false;
    void run(ex, { seq: 2, activityType: 'flaky', startToCloseTimeout: ms(5000), retryPolicy: { initialInterval: ms(10_000) } }).then(() => (resolved = true));
    await until(() => failures === 1);
    // Encoding the failure and starting the backoff take only microtasks: one more turn covers them.
    await new Promise((r) => setTimeout(r, 0));
    expect(ex.cancel('run', 2)).toMatchObject({ seq: 2, result: { kind: 'cancelled' } });
    expect(ex.inFlight).toBe(0);
    expect(resolved).toBe(false);
  });

  it('stopping a run cancels its functions and reports nothing', async () => {
    let reason: string | undefined;
    let started = false;
    const ex = executor({
      wait: async () => {
        started = true;
        try {
          await Context.current().cancelled;
        } catch (e) {
          reason = (e as Error).message;
        }
      },
    });
    let reported = false;
    ex.start({ runId: 'r1', workflowId: 'w', workflowType: 't', schedule: { seq: 1, activityId: '1', activityType: 'wait', startToCloseTimeout: ms(5000) } }, () => (reported = true));
    await until(() => started);
    ex.stopRun('r1');
    await ex.drain(0);
    expect(reason).toBe('CANCELLED');
    expect(reported).toBe(false);
    expect(ex.slots.inUse).toBe(0);
  });
});
