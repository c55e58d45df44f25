import type { LoadedDataConverter } from '@temporalio/common';
import type { Connection } from '../connection/connection.js';
import type { Logger } from '../logger.js';
import { taskQueuePollLoop, type PollLoop } from '../poll-loop.js';
import { settlesBy } from '../settles-by.js';
import { Slots } from '../slots.js';
import { ActivityExecution, type ActivityExecutionDeps, type ActivityExecutionReport, type ActivityFunction } from './activity-execution.js';
import type { HeartbeatThrottleOptions } from './heartbeat-throttle.js';
import { PollRateLimiter } from './poll-rate-limiter.js';
import { temporal } from '../connection/proto.js';
import type { WorkerVersioning } from '../worker/versioning.js';
import type { JoinableCancel } from '../shutdown-barrier.js';

export interface ActivityWorkerDeps {
  connection: Connection;
  namespace: string;
  taskQueue: string;
  identity: string;
  /** Sent with every poll so ShutdownWorker can end our polls server-side. */
  workerInstanceKey: string;
  /** Build id and deployment version stated on every poll. */
  versioning?: WorkerVersioning;
  activities: ReadonlyMap<string, ActivityFunction>;
  dataConverter: LoadedDataConverter;
  logger: Logger;
  maxConcurrentActivityTaskExecutions: number;
  maxConcurrentActivityTaskPolls: number;
  /** Worker-side cap on activity tasks taken per second (see {@link PollRateLimiter}). */
  maxActivitiesPerSecond?: number;
  /** Queue-wide cap the server enforces, stated on every poll. */
  maxTaskQueueActivitiesPerSecond?: number;
  throttle: HeartbeatThrottleOptions;
  invoke?: ActivityExecutionDeps['invoke'];
  client?: ActivityExecutionDeps['client'];
  metricMeter?: ActivityExecutionDeps['metricMeter'];
  onFatal: (err: unknown) => void;
  onTaskDone?: (report: ActivityExecutionReport) => void;
  onPollEnd?: (gotTask: boolean) => void;
  /** A task arrived, through a poll or eagerly with a workflow-task answer. */
  onTaskReceived?: (task: temporal.api.workflowservice.v1.IPollActivityTaskQueueResponse, eager: boolean) => void;
}

/** When a drain cancels, and when it stops waiting (`performance.now()` values); see ShutdownOptions. */
export interface DrainPlan {
  graceEnd: number;
  forceEnd: number;
  forceTimeMs: number;
}

/** Part of the force time kept for answering the activities that ignored their cancellation. */
const FORCED_ANSWER_MS = 1_000;

/** Counts of answered activity tasks. */
export interface ActivityCounts {
  completed: number;
  failed: number;
  cancelled: number;
  /** Left open by CompleteAsyncError, for a client to complete. */
  willCompleteAsync: number;
}

/** The activity side of a Worker Entity: polls, runs and answers activity tasks. */
export class ActivityWorker {
  readonly slots: Slots;
  readonly counts: ActivityCounts = { completed: 0, failed: 0, cancelled: 0, willCompleteAsync: 0 };
  private readonly executions = new Set<ActivityExecution>();
  private readonly eagerRuns = new Set<Promise<void>>();
  /** Activity tasks received with a workflow-task answer instead of through a poll. */
  eagerReceived = 0;
  private accepting = false;
  /** Where a drain stands: tasks taken from now on are treated the same way. */
  private phase: 'running' | 'cancelling' | 'forcing' = 'running';
  private plan: DrainPlan | undefined;
  private readonly loop: PollLoop<temporal.api.workflowservice.v1.PollActivityTaskQueueResponse>;

  constructor(private readonly deps: ActivityWorkerDeps) {
    this.slots = new Slots(deps.maxConcurrentActivityTaskExecutions);
    const limiter = deps.maxActivitiesPerSecond !== undefined ? new PollRateLimiter(deps.maxActivitiesPerSecond) : undefined;
    const { workerVersionCapabilities, deploymentOptions } = deps.versioning?.pollFields() ?? {};
    this.loop = taskQueuePollLoop(
      'pollActivityTaskQueue',
      {
        name: 'activity',
        pollers: deps.maxConcurrentActivityTaskPolls,
        slots: this.slots,
        handle: (task) => {
          deps.onTaskReceived?.(task, false);
          return this.execute(task);
        },
        request: {
          workerVersionCapabilities,
          deploymentOptions,
          taskQueueMetadata: deps.maxTaskQueueActivitiesPerSecond !== undefined ? { maxTasksPerSecond: { value: deps.maxTaskQueueActivitiesPerSecond } } : undefined,
        },
        beforePoll: limiter && ((signal) => limiter.wait(signal)),
      },
      deps,
    );
  }

  start(): void {
    this.accepting = true;
    this.loop.start();
  }

  pause(): void {
    this.accepting = false;
    this.loop.pause();
  }

  resume(): void {
    this.accepting = true;
    this.loop.resume();
  }

  /**
   * Eager activity execution: takes up to `n` free slots for activities that our own workflow
   * tasks schedule on this queue, so the server can hand them back in the answer to
   * RespondWorkflowTaskCompleted instead of through a poll. Returns how many were taken; the
   * caller gives back the ones the server did not fill with {@link releaseEager}.
   */
  reserveEager(n: number): number {
    return this.accepting ? this.slots.tryAcquire(n) : 0;
  }

  releaseEager(n: number): void {
    for (let i = 0; i < n; i++) this.slots.release();
  }

  /** Runs a task the server handed over eagerly, in a slot taken with {@link reserveEager}. */
  runEager(task: temporal.api.workflowservice.v1.IPollActivityTaskQueueResponse): void {
    this.eagerReceived++;
    this.deps.onTaskReceived?.(task, true);
    const run = this.execute(task)
      .catch((err: unknown) => this.deps.logger.error('eager activity task handler threw', { error: err }))
      .finally(() => {
        this.slots.release();
        this.eagerRuns.delete(run);
      });
    this.eagerRuns.add(run);
  }

  get inFlight(): number {
    return this.executions.size;
  }

  /** Running activities that have heartbeated at least once. */
  get heartbeating(): number {
    let n = 0;
    for (const e of this.executions) if (e.heartbeated) n++;
    return n;
  }

  /** Activity long polls open right now. */
  get activePolls(): number {
    return this.loop.activePolls;
  }

  /**
   * Stops polling and hands every task taken back within the plan's bounds (see
   * {@link ShutdownOptions}): running activities get until `graceEnd` to finish, are then
   * cancelled with reason WORKER_SHUTDOWN, and whatever still runs at `forceEnd` is answered as a
   * retryable `WorkerShutdown` failure, its slot freed. Open polls may still bring tasks, which
   * join the same plan. Resolves by `forceEnd` (plus the time a poll needs to end) whatever the
   * activities do. Times are `performance.now()` values.
   */
  async drain(plan: DrainPlan, cancelOpenPolls?: JoinableCancel, pollNaturalEndMs = Infinity): Promise<void> {
    this.accepting = false;
    this.plan = plan;
    const now = performance.now();
    // Open polls may end by themselves first (see PollLoop.stopPolling), within the grace; the
    // grace of the tasks already running runs meanwhile.
    const polls = this.loop.stopPolling(Math.max(0, Math.min(plan.graceEnd - now, pollNaturalEndMs)), cancelOpenPolls);
    const allDone = polls.then(() => this.settled());
    if (this.phase === 'running' && !(await settlesBy(allDone, plan.graceEnd))) {
      this.phase = 'cancelling';
      for (const ex of this.executions) ex.cancel('WORKER_SHUTDOWN');
    }
    // The forced answers need a moment of the force time themselves.
    const forceAt = plan.forceEnd - Math.min(FORCED_ANSWER_MS, plan.forceTimeMs / 2);
    if (this.phase === 'cancelling' && !(await settlesBy(allDone, forceAt))) {
      this.phase = 'forcing';
      const ids = [...this.executions].map((ex) => ex.activityId);
      this.deps.logger.warn('Activities ignored their cancellation for the shutdown; answering them as WorkerShutdown failures', { activityIds: ids, forceTimeMs: plan.forceTimeMs });
      for (const ex of this.executions) ex.forceFail(plan.forceTimeMs, plan.forceEnd);
    }
    await allDone;
  }

  private async settled(): Promise<void> {
    await this.loop.settled();
    while (this.eagerRuns.size) await Promise.allSettled([...this.eagerRuns]);
  }

  private async execute(task: temporal.api.workflowservice.v1.IPollActivityTaskQueueResponse): Promise<void> {
    const ex = new ActivityExecution(task, this.deps);
    this.executions.add(ex);
    // A task a closing poll (or an eager answer) brings in late joins the drain where it stands.
    if (this.phase === 'cancelling') ex.cancel('WORKER_SHUTDOWN');
    else if (this.phase === 'forcing') ex.forceFail(this.plan?.forceTimeMs ?? 0, performance.now() + FORCED_ANSWER_MS);
    try {
      const report = await ex.run();
      this.counts[report.outcome]++;
      this.deps.onTaskDone?.(report);
    } finally {
      this.executions.delete(ex);
    }
  }
}
