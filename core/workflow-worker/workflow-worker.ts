import { randomUUID } from 'node:crypto';
import type { Connection } from '../connection/connection.js';
import { temporal } from '../connection/proto.js';
import type { Logger } from '../logger.js';
import { PollLoop } from '../poll-loop.js';
import { Slots } from '../slots.js';
import type { WorkflowSandbox } from '../../sandbox/workflow-sandbox.js';
import type { RunCreateOptions } from '../../sandbox/protocol.js';
import { WorkflowRunCache } from './workflow-run-cache.js';
import { WorkflowTaskHandler, type WorkflowTaskReport } from './workflow-task-handler.js';

type Task = temporal.api.workflowservice.v1.PollWorkflowTaskQueueResponse;
const { TaskQueueKind } = temporal.api.enums.v1;

export interface WorkflowWorkerDeps {
  connection: Connection;
  taskQueue: string;
  identity: string;
  /** Sent with every poll so ShutdownWorker can end our polls server-side. */
  workerInstanceKey: string;
  sandbox: WorkflowSandbox;
  bundleId: string;
  runCreate: RunCreateOptions;
  logger: Logger;
  maxConcurrentWorkflowTaskExecutions: number;
  maxConcurrentWorkflowTaskPolls: number;
  maxCachedWorkflows: number;
  stickyQueueScheduleToStartTimeoutMs: number;
  onFatal: (err: unknown) => void;
  onTaskDone?: (report: WorkflowTaskReport) => void;
  onPollEnd?: (gotTask: boolean) => void;
}

/**
 * The workflow side of a Worker Entity: polls the normal and the sticky queue, runs tasks
 * through the shared sandbox, and keeps runs cached between tasks (LRU, `maxCachedWorkflows`).
 */
export class WorkflowWorker {
  readonly slots: Slots;
  readonly cache: WorkflowRunCache;
  readonly stickyQueue: string | undefined;
  readonly counts = { completed: 0, failed: 0, queries: 0 };
  private readonly handler: WorkflowTaskHandler;
  private readonly loops: PollLoop<Task>[] = [];

  constructor(private readonly deps: WorkflowWorkerDeps) {
    this.slots = new Slots(deps.maxConcurrentWorkflowTaskExecutions);
    this.cache = new WorkflowRunCache(deps.maxCachedWorkflows);
    const sticky = deps.maxCachedWorkflows > 0;
    this.stickyQueue = sticky ? `${deps.identity}-${deps.taskQueue}-sticky-${randomUUID()}` : undefined;
    this.handler = new WorkflowTaskHandler({
      connection: deps.connection,
      taskQueue: deps.taskQueue,
      identity: deps.identity,
      sandbox: deps.sandbox,
      bundleId: deps.bundleId,
      cache: this.cache,
      sticky: this.stickyQueue ? { name: this.stickyQueue, scheduleToStartTimeoutMs: deps.stickyQueueScheduleToStartTimeoutMs } : undefined,
      runCreate: deps.runCreate,
      serverSupportsSdkMetadata: deps.connection.systemInfo?.capabilities?.sdkMetadata ?? true,
      logger: deps.logger,
      onTaskDone: (r) => {
        if (r.outcome === 'completed') this.counts.completed++;
        else if (r.outcome === 'failed') this.counts.failed++;
        else if (r.outcome === 'query') this.counts.queries++;
        deps.onTaskDone?.(r);
      },
    });
    const polls = Math.max(2, deps.maxConcurrentWorkflowTaskPolls);
    // Like the official SDK, most pollers serve the sticky queue, where cached runs get their tasks.
    const normalPollers = sticky ? Math.max(1, Math.round(polls * 0.2)) : polls;
    this.loops.push(this.loop({ name: deps.taskQueue, kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL }, normalPollers));
    if (this.stickyQueue) {
      this.loops.push(this.loop({ name: this.stickyQueue, kind: TaskQueueKind.TASK_QUEUE_KIND_STICKY, normalName: deps.taskQueue }, polls - normalPollers || 1));
    }
  }

  start(): void {
    for (const l of this.loops) l.start();
  }

  pause(): void {
    for (const l of this.loops) l.pause();
  }

  resume(): void {
    for (const l of this.loops) l.resume();
  }

  get inFlight(): number {
    return this.loops.reduce((n, l) => n + l.inFlight, 0);
  }

  /** Stops polling (after `pollGraceMs` the polls still open are aborted locally). */
  async stopPolling(pollGraceMs: number): Promise<void> {
    await Promise.all(this.loops.map((l) => l.stopPolling(pollGraceMs)));
  }

  /** Waits for tasks in flight, then evicts every cached run. */
  async drain(): Promise<void> {
    await Promise.all(this.loops.map((l) => l.settled()));
    await this.handler.evictAll();
  }

  private loop(taskQueue: temporal.api.taskqueue.v1.ITaskQueue, pollers: number): PollLoop<Task> {
    const { deps } = this;
    const request = { namespace: deps.connection.namespace, taskQueue, identity: deps.identity, workerInstanceKey: deps.workerInstanceKey };
    return new PollLoop<Task>({
      name: `workflow(${taskQueue.name})`,
      pollers,
      slots: this.slots,
      poll: async (signal) => {
        const res = await deps.connection.call('pollWorkflowTaskQueue', request, { longPoll: true, signal });
        return res.taskToken?.length ? res : undefined;
      },
      handle: (task) => this.handler.handle(task),
      onFatal: deps.onFatal,
      onPollEnd: deps.onPollEnd,
      backoff: deps.connection.options.retry,
      logger: deps.logger,
    });
  }
}
