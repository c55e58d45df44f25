import type { LoadedDataConverter } from '@temporalio/common';
import type { Connection } from '../connection/connection.js';
import type { Logger } from '../logger.js';
import { PollLoop } from '../poll-loop.js';
import { Slots } from '../slots.js';
import { ActivityExecution, type ActivityExecutionDeps, type ActivityExecutionReport, type ActivityFunction } from './activity-execution.js';
import type { HeartbeatThrottleOptions } from './heartbeat-throttle.js';
import { temporal } from '../connection/proto.js';

export interface ActivityWorkerDeps {
  connection: Connection;
  namespace: string;
  taskQueue: string;
  identity: string;
  /** Sent with every poll so ShutdownWorker can end our polls server-side. */
  workerInstanceKey: string;
  activities: ReadonlyMap<string, ActivityFunction>;
  dataConverter: LoadedDataConverter;
  logger: Logger;
  maxConcurrentActivityTaskExecutions: number;
  maxConcurrentActivityTaskPolls: number;
  throttle: HeartbeatThrottleOptions;
  invoke?: ActivityExecutionDeps['invoke'];
  client?: ActivityExecutionDeps['client'];
  metricMeter?: ActivityExecutionDeps['metricMeter'];
  onFatal: (err: unknown) => void;
  onTaskDone?: (report: ActivityExecutionReport) => void;
  onPollEnd?: (gotTask: boolean) => void;
}

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
  private readonly loop: PollLoop<temporal.api.workflowservice.v1.PollActivityTaskQueueResponse>;

  constructor(private readonly deps: ActivityWorkerDeps) {
    this.slots = new Slots(deps.maxConcurrentActivityTaskExecutions);
    const request = {
      namespace: deps.namespace,
      taskQueue: { name: deps.taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      identity: deps.identity,
      workerInstanceKey: deps.workerInstanceKey,
    };
    this.loop = new PollLoop({
      name: 'activity',
      pollers: Math.min(deps.maxConcurrentActivityTaskPolls, deps.maxConcurrentActivityTaskExecutions),
      slots: this.slots,
      poll: async (signal) => {
        const res = await deps.connection.call('pollActivityTaskQueue', request, { longPoll: true, signal });
        return res.taskToken?.length ? res : undefined;
      },
      handle: (task) => this.execute(task),
      onFatal: deps.onFatal,
      onPollEnd: deps.onPollEnd,
      backoff: deps.connection.options.retry,
      logger: deps.logger,
    });
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

  /**
   * Stops polling (open polls may still bring tasks, which run), lets running activities finish
   * within `graceMs`, then cancels the rest with reason WORKER_SHUTDOWN. Resolves when every task
   * taken has been answered.
   */
  async drain(graceMs: number, cancelOpenPolls?: () => Promise<unknown>, pollNaturalEndMs = graceMs): Promise<void> {
    this.accepting = false;
    const deadline = performance.now() + graceMs;
    // Open polls may end by themselves first (see PollLoop.stopPolling), within the grace.
    await this.loop.stopPolling(Math.min(graceMs, pollNaturalEndMs), cancelOpenPolls);
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'grace'>((r) => (timer = setTimeout(() => r('grace'), Math.max(0, deadline - performance.now()))));
    const done = await Promise.race([this.settled().then(() => 'settled' as const), graceOver]);
    clearTimeout(timer);
    if (done === 'grace') {
      for (const ex of this.executions) ex.cancel('WORKER_SHUTDOWN');
      await this.settled();
    }
  }

  private async settled(): Promise<void> {
    await this.loop.settled();
    while (this.eagerRuns.size) await Promise.allSettled([...this.eagerRuns]);
  }

  private async execute(task: temporal.api.workflowservice.v1.IPollActivityTaskQueueResponse): Promise<void> {
    const ex = new ActivityExecution(task, this.deps);
    this.executions.add(ex);
    try {
      const report = await ex.run();
      this.counts[report.outcome]++;
      this.deps.onTaskDone?.(report);
    } finally {
      this.executions.delete(ex);
    }
  }
}
