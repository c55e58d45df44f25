import { CompleteAsyncError, type Info } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure, ensureApplicationFailure, MetricMeterWithComposedTags, noopMetricMeter, type MetricMeter, type Payload } from '@temporalio/common';
import { encodeErrorToFailure, encodeToPayload } from '@temporalio/common/lib/internal-non-workflow/codec-helpers.js';
import { status } from '../connection/grpc-status.js';
import { ServiceCallError, type Connection } from '../connection/connection.js';
import type { temporal } from '../connection/proto.js';
import { HeartbeatThrottle, heartbeatThrottleIntervalMs, type HeartbeatThrottleOptions } from './heartbeat-throttle.js';
import type { ActivityClient } from './activity-client.js';
import { activityInfoFromTask } from './activity-info.js';
import { encodeArray } from './payload-fast-path.js';
import { attemptDeadline } from './attempt-deadline.js';
import { WorkerShutdownForced } from './worker-shutdown-forced.js';
import { ActivityCancellation, invokeActivity, type ActivityInvocationDeps, type CancelReason } from './activity-invocation.js';

export type { ActivityFunction, CancelReason } from './activity-invocation.js';

/**
 * How one activity task ended, as reported to the server; `willCompleteAsync`: the activity threw
 * `CompleteAsyncError`, nothing was reported, and a client completes the task later.
 */
export type ActivityOutcome = 'completed' | 'failed' | 'cancelled' | 'willCompleteAsync';

/** What an execution needs from its worker. */
export interface ActivityExecutionDeps extends ActivityInvocationDeps {
  connection: Connection;
  namespace: string;
  taskQueue: string;
  identity: string;
  throttle: HeartbeatThrottleOptions;
  /** `Context.current().client`; without it the Context throws "No Client available". */
  client?: ActivityClient;
  /** Behind `Context.current().metricMeter` (tagged with namespace, task queue, activity type). @default noopMetricMeter */
  metricMeter?: MetricMeter;
}

/** The result the worker reports to its listeners once the server has the answer. */
export interface ActivityExecutionReport {
  info: Info;
  outcome: ActivityOutcome;
  durationMs: number;
  error?: unknown;
}

type ActivityTask = temporal.api.workflowservice.v1.IPollActivityTaskQueueResponse;

/**
 * Runs one activity task with the `@temporalio/activity` Context and answers the server exactly
 * once: completed, failed, or cancelled. Never throws; a failed answer is logged.
 */
export class ActivityExecution {
  // Made here, not in run(): cancel() may come before run() has decoded the task.
  private readonly cancellation = new ActivityCancellation();
  /** Rejects when the drain's force time is up: run() stops waiting for the user function. */
  private rejectForced!: (err: WorkerShutdownForced) => void;
  private readonly forced = new Promise<never>((_, reject) => (this.rejectForced = reject));
  /** Aborted when the drain gives up on answering at all (its last bound passed). */
  private readonly answers = new AbortController();
  /** Epoch ms after which the server can no longer accept an answer for this attempt. */
  private readonly answerDeadline: number | undefined;
  /** The function has heartbeated at least once (the official `numHeartbeatingActivities`). */
  heartbeated = false;

  constructor(
    private readonly task: ActivityTask,
    private readonly deps: ActivityExecutionDeps,
  ) {
    this.answerDeadline = attemptDeadline(task, Date.now());
    this.forced.catch(() => undefined);
  }

  get activityId(): string {
    return this.task.activityId ?? '';
  }

  /**
   * The drain's force time is up and the activity ignored its cancellation: answer the task now
   * as a retryable `WorkerShutdown` failure (the server retries it elsewhere) and free the slot,
   * whatever the user code goes on doing. `stopAnsweringAt` bounds the answer itself.
   */
  forceFail(forceTimeMs: number, stopAnsweringAt: number): void {
    this.cancel('WORKER_SHUTDOWN');
    this.rejectForced(new WorkerShutdownForced(forceTimeMs));
    setTimeout(() => this.answers.abort(new Error('drain over')), Math.max(0, stopAnsweringAt - performance.now())).unref();
  }

  /** Fires the activity's cancellation signal (once); the first reason wins. */
  cancel(reason: CancelReason): void {
    this.cancellation.cancel(reason);
  }

  async run(): Promise<ActivityExecutionReport> {
    const started = performance.now();
    const { deps, task } = this;
    let info: Info;
    try {
      const built = activityInfoFromTask(task, deps);
      info = built instanceof Promise ? await built : built;
    } catch (err) {
      // Undecodable heartbeat details: the task must still be answered, or it waits for its timeout.
      info = await activityInfoFromTask(task, deps, { heartbeatDetails: false });
      const failure = ApplicationFailure.fromError(err, { message: `Failed to parse heartbeat details for activity ${info.activityId}: ${err instanceof Error ? err.message : String(err)}` });
      deps.logger.error('Activity task not run: its heartbeat details could not be decoded', { activityId: info.activityId, activityType: info.activityType, error: err });
      await this.respond('respondActivityTaskFailed', { failure: await encodeErrorToFailure(deps.dataConverter, failure) });
      return { info, outcome: 'failed', durationMs: performance.now() - started, error: err };
    }
    const throttle = new HeartbeatThrottle<unknown[]>(heartbeatThrottleIntervalMs(info.heartbeatTimeoutMs, deps.throttle), (d) => this.sendHeartbeat(d));
    const metricMeter = MetricMeterWithComposedTags.compose(deps.metricMeter ?? noopMetricMeter, { namespace: info.namespace, taskQueue: info.taskQueue, activityType: info.activityType });
    const timeout = this.startLocalTimeout(info);
    let outcome: ActivityOutcome;
    let error: unknown;
    try {
      const invocation = invokeActivity(
        info,
        {
          input: task.input?.payloads,
          headers: (task.header?.fields ?? {}) as Record<string, Payload>,
          heartbeat: (details?: unknown) => {
            this.heartbeated = true;
            throttle.heartbeat(details === undefined ? [] : [details]);
          },
          client: deps.client,
          metricMeter,
        },
        this.cancellation,
        deps,
      );
      const result = await Promise.race([invocation, this.forced]);
      clearTimeout(timeout);
      if (throttle.busy) await Promise.race([throttle.flush(), this.forced]).catch(() => undefined);
      throttle.close();
      outcome = 'completed';
      const payloads = encodeArray(deps.dataConverter, result);
      await this.respond('respondActivityTaskCompleted', {
        result: { payloads: (payloads instanceof Promise ? await payloads : payloads) ?? [] },
      });
    } catch (err) {
      clearTimeout(timeout);
      error = err;
      // Forced: no more waiting on anything of the activity's, its heartbeats included.
      if (!(err instanceof WorkerShutdownForced) && throttle.busy) await Promise.race([throttle.flush(), this.forced]).catch(() => undefined);
      throttle.close();
      if (err instanceof CompleteAsyncError) {
        // No answer: the task stays open for client.activity.complete/fail/heartbeat, and the slot is freed.
        return { info, outcome: 'willCompleteAsync', durationMs: performance.now() - started };
      }
      // Only a cancellation the server asked for is answered as "cancelled"; a local reason
      // (shutdown, timeout) is a failure, so the server retries the activity elsewhere.
      if (this.cancellation.reason === 'CANCELLED' && (err instanceof CancelledFailure || this.cancellation.aborted)) {
        outcome = 'cancelled';
        const details = err instanceof CancelledFailure ? err.details : [];
        await this.respond('respondActivityTaskCanceled', { details: { payloads: await encodeArray(deps.dataConverter, ...details) ?? [] } });
      } else {
        outcome = 'failed';
        const failure = await encodeErrorToFailure(deps.dataConverter, this.failureFor(err));
        await this.respond('respondActivityTaskFailed', { failure });
      }
    }
    return { info, outcome, durationMs: performance.now() - started, error };
  }

  /**
   * The server accepts only ApplicationFailureInfo from an activity. A cancellation for a local
   * reason (shutdown, local timeout, heartbeat NOT_FOUND) or any other Temporal failure thrown by
   * user code is wrapped in a retryable ApplicationFailure that names the reason.
   */
  private failureFor(err: unknown): ApplicationFailure {
    if (err instanceof WorkerShutdownForced) return ApplicationFailure.create({ type: 'WorkerShutdown', message: err.message });
    const reason = this.cancellation.reason;
    if (reason && err instanceof CancelledFailure) {
      const message = reason === 'WORKER_SHUTDOWN' ? 'Activity cancelled: the worker is draining and its grace period ran out' : `Activity cancelled locally (${reason})`;
      return ApplicationFailure.create({ type: reason === 'WORKER_SHUTDOWN' ? 'WorkerShutdown' : 'CancelledFailure', message, cause: err });
    }
    return ensureApplicationFailure(err);
  }

  private startLocalTimeout(info: Info): NodeJS.Timeout | undefined {
    // Start-to-close is enforced here too, so user code is told to stop when the server has
    // already given up on this attempt.
    const candidates = [info.startToCloseTimeoutMs, info.scheduleToCloseTimeoutMs ? info.scheduleToCloseTimeoutMs - (Date.now() - info.scheduledTimestampMs) : 0].filter((ms) => ms > 0);
    if (!candidates.length) return undefined;
    return setTimeout(() => this.cancel('TIMED_OUT'), Math.max(0, Math.min(...candidates)));
  }

  private async sendHeartbeat(details: unknown[]): Promise<void> {
    const { deps } = this;
    try {
      const payloads = await Promise.all(details.map((d) => encodeToPayload(deps.dataConverter, d)));
      const res = await deps.connection.call('recordActivityTaskHeartbeat', {
        taskToken: this.task.taskToken,
        namespace: deps.namespace,
        identity: deps.identity,
        details: { payloads },
      });
      if (res.cancelRequested) this.cancel('CANCELLED');
      else if (res.activityPaused) this.cancel('PAUSED');
      else if (res.activityReset) this.cancel('RESET');
    } catch (err) {
      if (err instanceof ServiceCallError && err.grpcCode === status.NOT_FOUND) this.cancel('NOT_FOUND');
      else deps.logger.warn('Activity heartbeat failed', { error: err, activityId: this.task.activityId });
    }
  }

  private async respond(
    method: 'respondActivityTaskCompleted' | 'respondActivityTaskFailed' | 'respondActivityTaskCanceled',
    body: Record<string, unknown>,
  ): Promise<void> {
    const { deps } = this;
    try {
      // Retried through outages until the attempt's own deadline: an answer lost earlier is a result lost.
      await deps.connection.call(
        method,
        { taskToken: this.task.taskToken, namespace: deps.namespace, identity: deps.identity, ...body },
        { retryUntil: this.answerDeadline, signal: this.answers.signal },
      );
    } catch (err) {
      // NOT_FOUND: the server already closed this attempt (timeout, or the workflow ended).
      if (err instanceof ServiceCallError && err.grpcCode === status.NOT_FOUND) return;
      deps.logger.error('Could not answer activity task', { method, error: err, activityId: this.task.activityId });
    }
  }
}
