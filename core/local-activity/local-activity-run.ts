import type { Info } from '@temporalio/activity';
import { CancelledFailure, ensureApplicationFailure, MetricMeterWithComposedTags, type MetricMeter, type Payload } from '@temporalio/common';
import { encodeErrorToFailure, encodeToPayload } from '@temporalio/common/lib/internal-non-workflow/codec-helpers.js';
import * as proto from '../connection/proto.js';
import type { ActivityClient } from '../activity/activity-client.js';
import { activityInfoFromTask } from '../activity/activity-info.js';
import { ActivityCancellation, invokeActivity, type ActivityInvocationDeps } from '../activity/activity-invocation.js';
import type { Slots } from '../slots.js';
import type { LocalActivityResolution, LocalActivityResult } from '../workflow/machines/local-activity-machine.js';
import { durationMs, int64, type Int64Like } from '../workflow/proto-types.js';
import { localRetryPolicy, msToDuration, retryDelayMs, retryPolicyProto, type LocalRetryPolicy } from './retry-policy.js';

type IScheduleLocalActivity = proto.coresdk.workflow_commands.IScheduleLocalActivity;
type IFailure = proto.temporal.api.failure.v1.IFailure;
const TimeoutType = proto.temporal.api.enums.v1.TimeoutType;

/** One local activity as a run asks for it. */
export interface LocalActivityTask {
  runId: string;
  workflowId: string;
  workflowType: string;
  schedule: IScheduleLocalActivity;
}

/**
 * How one local attempt that ran ended, for metrics: sdk-core counts each attempt that started
 * (`local_activity_total`, its execution latency) and how it ended.
 */
export interface LocalActivityAttemptReport {
  activityType: string;
  workflowType: string;
  outcome: 'completed' | 'failed' | 'timedOut' | 'cancelled';
  /** The attempt's run time, ms. */
  executionMs: number;
  /** For `completed`: from the first attempt's schedule time (timer backoffs included), ms. */
  endToEndMs?: number;
}

export interface LocalActivityRunDeps extends ActivityInvocationDeps {
  namespace: string;
  taskQueue: string;
  client?: ActivityClient;
  metricMeter?: MetricMeter;
  slots: Slots;
  taskToken(): Uint8Array;
  /** Each attempt that ran, once it ended (not those stopped by eviction or shutdown). */
  onAttemptDone?: (report: LocalActivityAttemptReport) => void;
}

/** The official core's default for `localRetryThreshold`: longer backoffs go through a workflow timer. */
export const DEFAULT_LOCAL_RETRY_THRESHOLD_MS = 60_000;

interface Attempt {
  cancellation: ActivityCancellation;
  startedAt: number;
  slotHeld: boolean;
}

/**
 * One local activity across all its local attempts: waits for a slot, runs the function, retries
 * short backoffs itself, and enforces schedule-to-start (on dispatch), start-to-close (per
 * attempt) and schedule-to-close (from the first attempt's schedule time, timers included).
 * Reports exactly once through `onResolved`, unless it was stopped (eviction, shutdown).
 */
export class LocalActivityRun {
  private state: 'queued' | 'running' | 'backingOff' | 'done' = 'queued';
  private attempt: number;
  private current: Attempt | undefined;
  private readonly policy: LocalRetryPolicy;
  private readonly thresholdMs: number;
  private readonly scheduleToCloseMs: number | undefined;
  private readonly startToCloseMs: number | undefined;
  private readonly scheduleToStartMs: number | undefined;
  private readonly originalScheduleMs: number;
  private readonly scheduledAtMs = Date.now();
  private scheduleToCloseTimer: NodeJS.Timeout | undefined;
  private attemptTimer: NodeJS.Timeout | undefined;
  private backoffTimer: NodeJS.Timeout | undefined;
  private slotWait: AbortController | undefined;
  private readonly invocations = new Set<Promise<void>>();

  constructor(
    private readonly task: LocalActivityTask,
    private readonly deps: LocalActivityRunDeps,
    private readonly onResolved: (resolution: LocalActivityResolution) => void,
  ) {
    const s = task.schedule;
    this.attempt = Math.max(1, s.attempt ?? 1);
    this.policy = localRetryPolicy(s.retryPolicy);
    this.thresholdMs = durationMs(s.localRetryThreshold) || DEFAULT_LOCAL_RETRY_THRESHOLD_MS;
    this.scheduleToCloseMs = positive(durationMs(s.scheduleToCloseTimeout));
    // Both clamped to schedule-to-close, as the official core does.
    this.startToCloseMs = clamp(positive(durationMs(s.startToCloseTimeout)), this.scheduleToCloseMs);
    this.scheduleToStartMs = clamp(positive(durationMs(s.scheduleToStartTimeout)), this.scheduleToCloseMs);
    this.originalScheduleMs = s.originalScheduleTime ? durationMs(s.originalScheduleTime as { seconds?: Int64Like; nanos?: number | null })! : this.scheduledAtMs;
  }

  get seq(): number {
    return this.task.schedule.seq ?? 0;
  }

  get done(): boolean {
    return this.state === 'done';
  }

  get isIdle(): boolean {
    return this.invocations.size === 0;
  }

  /** Settles once no attempt's function is still running. */
  async idle(): Promise<void> {
    while (this.invocations.size) await Promise.allSettled([...this.invocations]);
  }

  start(): void {
    if (this.scheduleToCloseMs !== undefined) {
      const left = this.scheduleToCloseMs - (Date.now() - this.originalScheduleMs);
      // Already over its schedule-to-close (it spent it waiting on backoff timers): no attempt.
      if (left <= 0) return this.finish(timedOut(TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE), 0);
      this.scheduleToCloseTimer = setTimeout(() => this.onScheduleToClose(), left);
    }
    void this.nextAttempt();
  }

  /**
   * The workflow cancels it. Returns the resolution at once when nothing runs (queued, backing
   * off); a running attempt is told to stop and reports how it ended.
   */
  cancel(): LocalActivityResolution | undefined {
    if (this.state === 'done') return undefined;
    if (this.state === 'running') {
      this.current?.cancellation.cancel('CANCELLED');
      return undefined;
    }
    this.stopTimers();
    this.state = 'done';
    return this.resolution({ kind: 'cancelled', failure: { message: 'Activity cancelled', canceledFailureInfo: {} } }, 0);
  }

  /** Stops it without a report: its run was evicted or the worker shuts down. */
  stop(reason: 'CANCELLED' | 'WORKER_SHUTDOWN'): void {
    if (this.state === 'done') return;
    this.stopTimers();
    this.state = 'done';
    this.current?.cancellation.cancel(reason);
    this.releaseSlot();
  }

  private async nextAttempt(): Promise<void> {
    this.state = 'queued';
    const queuedAt = Date.now();
    this.slotWait = new AbortController();
    try {
      await this.deps.slots.acquire(this.slotWait.signal);
    } catch {
      return; // cancelled or timed out while waiting; whoever aborted has reported
    }
    this.slotWait = undefined;
    // Narrowing does not see that a cancel or timeout may have ended it during the await.
    if ((this.state as string) === 'done') return this.deps.slots.release();
    const attempt: Attempt = { cancellation: new ActivityCancellation(), startedAt: Date.now(), slotHeld: true };
    this.current = attempt;
    if (this.scheduleToStartMs !== undefined && attempt.startedAt - queuedAt > this.scheduleToStartMs) {
      // Never retried: a retry would only queue again behind the same slots.
      this.releaseSlot();
      return this.finish(timedOut(TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START), 0);
    }
    this.state = 'running';
    if (this.startToCloseMs !== undefined) this.attemptTimer = setTimeout(() => this.onStartToClose(attempt), this.startToCloseMs);
    const invocation = this.invoke(attempt);
    this.invocations.add(invocation);
    await invocation;
    this.invocations.delete(invocation);
  }

  private async invoke(attempt: Attempt): Promise<void> {
    const { deps, task } = this;
    let outcome: { ok: true; value: unknown } | { ok: false; error: unknown };
    try {
      const info = await this.info();
      const metricMeter = deps.metricMeter && MetricMeterWithComposedTags.compose(deps.metricMeter, { namespace: info.namespace, taskQueue: info.taskQueue, activityType: info.activityType });
      const call = { input: task.schedule.arguments, headers: (task.schedule.headers ?? {}) as Record<string, Payload>, heartbeat: () => undefined, client: deps.client, metricMeter };
      const value = await invokeActivity(info, call, attempt.cancellation, deps);
      outcome = { ok: true, value };
    } catch (error) {
      outcome = { ok: false, error };
    }
    const runtimeMs = Date.now() - attempt.startedAt;
    // A timeout or cancel may have ended this attempt already; its late result changes nothing.
    if (this.current !== attempt || this.state !== 'running') return this.releaseSlotOf(attempt);
    clearTimeout(this.attemptTimer);
    this.releaseSlot();
    if (outcome.ok) {
      const result = await encodeToPayload(deps.dataConverter, outcome.value);
      if (this.state === 'running' && this.current === attempt) {
        this.report('completed', runtimeMs);
        this.finish({ kind: 'completed', result }, runtimeMs);
      }
      return;
    }
    const { error } = outcome;
    const reason = attempt.cancellation.reason;
    if (reason === 'CANCELLED' && (error instanceof CancelledFailure || attempt.cancellation.aborted)) {
      const failure = await encodeErrorToFailure(deps.dataConverter, error);
      failure.stackTrace = undefined;
      if (this.state === 'running' && this.current === attempt) {
        this.report('cancelled', runtimeMs);
        this.finish({ kind: 'cancelled', failure }, runtimeMs);
      }
      return;
    }
    // Logged as the official worker logs every failed attempt; the workflow only hears of the last.
    deps.logger.warn('Activity failed', { isLocal: true, activityType: task.schedule.activityType, attempt: this.attempt, workflowId: task.workflowId, runId: task.runId, error });
    const failure = await encodeErrorToFailure(deps.dataConverter, ensureApplicationFailure(error));
    if (this.state === 'running' && this.current === attempt) {
      const kind = failure.timeoutFailureInfo ? 'timedOut' : 'failed';
      this.report(kind, runtimeMs);
      this.failed(failure, kind, runtimeMs);
    }
  }

  private report(outcome: LocalActivityAttemptReport['outcome'], executionMs: number): void {
    const { onAttemptDone } = this.deps;
    if (!onAttemptDone) return;
    onAttemptDone({ activityType: this.task.schedule.activityType ?? '', workflowType: this.task.workflowType, outcome, executionMs, ...(outcome === 'completed' ? { endToEndMs: Math.max(0, Date.now() - this.originalScheduleMs) } : {}) });
  }

  /** A failed or timed-out attempt: retry here, hand the backoff to the workflow, or give up. */
  private failed(failure: IFailure, kind: 'failed' | 'timedOut', runtimeMs: number): void {
    const delayMs = retryDelayMs(this.policy, this.attempt, failure);
    if (delayMs === undefined) return this.finish({ kind, failure }, runtimeMs);
    if (delayMs > this.thresholdMs) return this.finish({ kind, failure }, runtimeMs, delayMs);
    this.state = 'backingOff';
    this.current = undefined;
    this.backoffTimer = setTimeout(() => {
      this.attempt++;
      void this.nextAttempt();
    }, delayMs);
  }

  private onStartToClose(attempt: Attempt): void {
    if (this.current !== attempt || this.state !== 'running') return;
    // The function is told to stop; the attempt ends now (and frees its slot), as in the official core.
    attempt.cancellation.cancel('TIMED_OUT');
    this.releaseSlot();
    this.current = undefined;
    const runtimeMs = Date.now() - attempt.startedAt;
    this.report('timedOut', runtimeMs);
    this.failed(timedOutFailure(TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE), 'timedOut', runtimeMs);
  }

  private onScheduleToClose(): void {
    if (this.state === 'done') return;
    const attempt = this.current;
    attempt?.cancellation.cancel('TIMED_OUT');
    this.releaseSlot();
    const runtimeMs = attempt ? Date.now() - attempt.startedAt : 0;
    // Only an attempt that was running counts; one timed out while queued or backing off never ran.
    if (attempt && this.state === 'running') this.report('timedOut', runtimeMs);
    this.finish(timedOut(TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE), runtimeMs);
  }

  private finish(result: LocalActivityResult, runtimeMs: number, backoffMs?: number): void {
    this.stopTimers();
    this.state = 'done';
    this.current = undefined;
    this.onResolved(this.resolution(result, runtimeMs, backoffMs));
  }

  private resolution(result: LocalActivityResult, runtimeMs: number, backoffMs?: number): LocalActivityResolution {
    return {
      seq: this.seq,
      result,
      runtimeMs,
      attempt: this.attempt,
      backoff: backoffMs === undefined ? null : msToDuration(backoffMs),
      originalScheduleTime: this.task.schedule.originalScheduleTime ?? null,
    };
  }

  private stopTimers(): void {
    clearTimeout(this.scheduleToCloseTimer);
    clearTimeout(this.attemptTimer);
    clearTimeout(this.backoffTimer);
    this.slotWait?.abort();
    this.slotWait = undefined;
  }

  private releaseSlot(): void {
    if (this.current) this.releaseSlotOf(this.current);
  }

  private releaseSlotOf(attempt: Attempt): void {
    if (!attempt.slotHeld) return;
    attempt.slotHeld = false;
    this.deps.slots.release();
  }

  /** The `@temporalio/activity` Info the official worker gives a local activity. */
  private async info(): Promise<Info> {
    const { task, deps } = this;
    const s = task.schedule;
    // Through the protobuf classes: the Info conversions expect Long seconds, not plain numbers.
    const { Timestamp, Duration } = proto.google.protobuf;
    const scheduled = Timestamp.fromObject(msToTimestamp(this.scheduledAtMs));
    const duration = (ms: number | undefined) => (ms === undefined ? undefined : Duration.fromObject(msToDuration(ms)));
    const info = await activityInfoFromTask(
      {
        taskToken: deps.taskToken(),
        activityId: s.activityId,
        activityType: { name: s.activityType },
        attempt: this.attempt,
        workflowExecution: { workflowId: task.workflowId, runId: task.runId },
        workflowType: { name: task.workflowType },
        workflowNamespace: deps.namespace,
        scheduledTime: scheduled,
        currentAttemptScheduledTime: scheduled,
        scheduleToCloseTimeout: duration(this.scheduleToCloseMs),
        // The official core reports schedule-to-close as start-to-close when only that one is set.
        startToCloseTimeout: duration(this.startToCloseMs ?? this.scheduleToCloseMs ?? 0),
        retryPolicy: proto.temporal.api.common.v1.RetryPolicy.fromObject(retryPolicyProto(this.policy)),
      },
      { namespace: deps.namespace, taskQueue: deps.taskQueue, dataConverter: deps.dataConverter },
    );
    return { ...info, isLocal: true };
  }
}

function timedOutFailure(timeoutType: number): IFailure {
  return { message: 'Activity timed out', timeoutFailureInfo: { timeoutType } };
}

function timedOut(timeoutType: number): LocalActivityResult {
  return { kind: 'timedOut', failure: timedOutFailure(timeoutType) };
}

function positive(ms: number | undefined): number | undefined {
  return ms !== undefined && ms > 0 ? ms : undefined;
}

function clamp(ms: number | undefined, max: number | undefined): number | undefined {
  return ms !== undefined && max !== undefined ? Math.min(ms, max) : ms;
}

function msToTimestamp(ms: number): proto.google.protobuf.ITimestamp {
  return { seconds: int64(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 };
}
