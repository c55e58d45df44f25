import { randomUUID } from 'node:crypto';
import { status } from '../connection/grpc-status.js';
import { ServiceCallError, type Connection } from '../connection/connection.js';
import { temporal } from '../connection/proto.js';
import { IllegalStateError } from '../errors.js';
import type { Logger } from '../logger.js';
import { once, PollLoop, POLL_SETTLE_MS } from '../poll-loop.js';
import { Slots } from '../slots.js';
import { StickyRouter, type StickyTarget } from './sticky-router.js';

type Task = temporal.api.workflowservice.v1.PollWorkflowTaskQueueResponse;
const { TaskQueueKind, WorkflowTaskFailedCause, QueryResultType } = temporal.api.enums.v1;

/** How long open sticky polls may take to end after ShutdownWorker before we abort them. */
const POLL_SHUTDOWN_GRACE_MS = 3_000;

/** An entity that takes tasks from the shared sticky queue. */
export interface StickyMember extends StickyTarget {
  /** Runs a task the router gave it; resolves when answered. */
  runSticky(task: Task): Promise<void>;
  /** The shared queue failed for good (e.g. the namespace is gone). */
  fail(err: unknown): void;
}

export interface StickyQueueOptions {
  connection: Connection;
  identity: string;
  logger: Logger;
  /** Long polls on the shared queue, for the whole process. */
  pollers: number;
  /** Sticky tasks held at once, routed or waiting for their entity's slot. */
  maxConcurrentTaskExecutions: number;
  /** After each answered poll, for metrics: the task's normal queue, or the shared queue's `normalName` when empty. */
  onPoll?: (gotTask: boolean, taskQueue: string) => void;
}

/** Counters for status and tests. */
export interface StickyQueueCounts {
  /** Routed to the entity that holds the run. */
  hits: number;
  /** Routed by the run's normal task queue to an entity that replays it. */
  misses: number;
  /** No accepting entity: handed back to the server (the run moves to its normal queue). */
  handedBack: number;
}

/**
 * One sticky queue for every Worker Entity of one namespace + connection (see docs/sticky-queues.md).
 *
 * It polls only while at least one entity is registered; when the last one leaves it stops and
 * sends ShutdownWorker naming the queue, so the server stops routing to it. A later registration
 * starts a fresh queue under a new name. Entities leave one by one without touching the queue:
 * their runs are handed back run by run (ResetStickyTaskQueue), never by unloading the queue.
 */
export class StickyQueue {
  /** Polls carry it so that nothing an entity's ShutdownWorker cancels is ours. */
  readonly workerInstanceKey = randomUUID();
  readonly counts: StickyQueueCounts = { hits: 0, misses: 0, handedBack: 0 };
  private readonly router = new StickyRouter<StickyMember>();
  private readonly slots: Slots;
  private current: { name: string; loop: PollLoop<Task> } | undefined;
  private readonly stopping = new Set<Promise<void>>();
  private paused = false;
  private closed = false;

  constructor(private readonly opts: StickyQueueOptions) {
    if (opts.maxConcurrentTaskExecutions < opts.pollers) {
      throw new IllegalStateError(`stickyQueue.maxConcurrentTaskExecutions (${opts.maxConcurrentTaskExecutions}) must be at least stickyQueue.pollers (${opts.pollers}): each poll holds a slot.`);
    }
    this.slots = new Slots(opts.maxConcurrentTaskExecutions);
  }

  /** The queue completions must name; undefined while nobody is registered. */
  /** Long polls open right now on the shared queue. */
  get activePolls(): number {
    return this.current?.loop.activePolls ?? 0;
  }

  get name(): string | undefined {
    return this.current?.name;
  }

  get members(): number {
    return this.router.size;
  }

  /** Long polls open right now (for measurements). */
  get inFlight(): number {
    return this.current?.loop.inFlight ?? 0;
  }

  register(member: StickyMember): void {
    if (this.closed) throw new IllegalStateError('The shared sticky queue is closed: the runtime is shutting down.');
    this.router.add(member);
    if (!this.current) this.startGeneration();
  }

  /**
   * Stops routing to `member`; its runs' next tasks take the miss path. The last member to leave
   * stops the pollers and releases the queue on the server. Resolves once that is done; open polls
   * get `pollNaturalEndMs` (at most 3 s, a draining entity passes what is left of its drain) to
   * end by themselves before ShutdownWorker ends them.
   */
  async unregister(member: StickyMember, opts: { pollNaturalEndMs?: number } = {}): Promise<void> {
    if (!this.router.has(member)) return;
    this.router.remove(member);
    if (this.router.size === 0) await this.stopGeneration(opts.pollNaturalEndMs);
  }

  claim(runId: string, member: StickyMember): void {
    this.router.claim(runId, member);
  }

  release(runId: string, member: StickyMember): void {
    this.router.release(runId, member);
  }

  /** Holds the pollers (tasks wait on the server until their sticky schedule-to-start timeout). */
  pause(): void {
    this.paused = true;
    this.current?.loop.pause();
  }

  resume(): void {
    this.paused = false;
    this.current?.loop.resume();
  }

  /** Stops for good (runtime shutdown); entities still registered are dropped. */
  async close(): Promise<void> {
    this.closed = true;
    await this.stopGeneration();
    await Promise.all([...this.stopping]);
  }

  private startGeneration(): void {
    const { opts } = this;
    const name = `${opts.identity}-sticky-${randomUUID()}`;
    // The server keys a sticky queue by its name alone; normalName only picks the queue whose
    // versioning data it reads. Our runs are unversioned, so any registered queue will do.
    const normalName = this.router.list()[0]?.taskQueue ?? '';
    const request = {
      namespace: opts.connection.namespace,
      taskQueue: { name, kind: TaskQueueKind.TASK_QUEUE_KIND_STICKY, normalName },
      identity: opts.identity,
      workerInstanceKey: this.workerInstanceKey,
    };
    const loop = new PollLoop<Task>({
      name: `workflow(${name})`,
      pollers: opts.pollers,
      slots: this.slots,
      poll: async (signal) => {
        const res = await opts.connection.call('pollWorkflowTaskQueue', request, { longPoll: true, signal });
        const got = Boolean(res.taskToken?.length);
        try {
          opts.onPoll?.(got, (got && res.workflowExecutionTaskQueue?.name) || normalName);
        } catch {
          // metrics never break polling
        }
        return got ? res : undefined;
      },
      handle: (task) => this.dispatch(task),
      onFatal: (err) => this.failAll(err),
      backoff: opts.connection.options.retry,
      quietStop: opts.connection.pollCompleteOnShutdown,
      logger: opts.logger,
    });
    this.current = { name, loop };
    loop.start();
    if (this.paused) loop.pause();
    opts.logger.debug('Shared sticky queue started', { stickyQueue: name });
  }

  private async stopGeneration(pollNaturalEndMs = POLL_SHUTDOWN_GRACE_MS): Promise<void> {
    const gen = this.current;
    if (!gen) return;
    this.current = undefined;
    const done = (async () => {
      const shutdown = once(() => this.opts.connection
        .call('shutdownWorker', {
          namespace: this.opts.connection.namespace,
          identity: this.opts.identity,
          reason: 'last entity left the shared sticky queue',
          stickyTaskQueue: gen.name,
          workerInstanceKey: this.workerInstanceKey,
        })
        .catch((error: unknown) => this.opts.logger.warn('ShutdownWorker for the shared sticky queue failed', { stickyQueue: gen.name, error })));
      // Polls the server completes on ShutdownWorker need only a short wait (see WorkerEntity.drain).
      const naturalEndMs = Math.max(0, Math.min(pollNaturalEndMs, this.opts.connection.pollCompleteOnShutdown ? POLL_SETTLE_MS : POLL_SHUTDOWN_GRACE_MS));
      await gen.loop.stopPolling(naturalEndMs, shutdown);
      // Also when the polls ended by themselves: the server forgets the queue at once.
      await shutdown();
      await gen.loop.settled();
    })();
    this.stopping.add(done);
    try {
      await done;
    } finally {
      this.stopping.delete(done);
    }
  }

  private async dispatch(task: Task): Promise<void> {
    const runId = task.workflowExecution?.runId ?? '';
    const route = this.router.route(runId, task.workflowExecutionTaskQueue?.name ?? undefined);
    if (!route) {
      this.counts.handedBack++;
      await this.handBack(task);
      return;
    }
    if (route.hit) this.counts.hits++;
    else this.counts.misses++;
    await route.target.runSticky(task);
  }

  /**
   * Answers a task nobody here can run so that the server moves the run to its normal queue at
   * once, as the Java SDK's sticky dispatcher does, instead of letting it time out.
   */
  private async handBack(task: Task): Promise<void> {
    const { connection, identity, logger } = this.opts;
    const queue = task.workflowExecutionTaskQueue?.name ?? '?';
    const message = `No worker entity in this process serves task queue "${queue}" any more; handing the task back to the normal queue.`;
    const ignoreNotFound = (err: unknown) => {
      if (!(err instanceof ServiceCallError && err.grpcCode === status.NOT_FOUND)) logger.warn('Handing a sticky task back failed', { runId: task.workflowExecution?.runId, error: err });
    };
    if (task.query) {
      // A legacy query cannot be failed as a workflow task. Clear the run's stickiness so the
      // caller's retry reaches the normal queue, and fail this one query.
      await connection.call('resetStickyTaskQueue', { namespace: connection.namespace, execution: task.workflowExecution }).catch(ignoreNotFound);
      await connection
        .call('respondQueryTaskCompleted', { taskToken: task.taskToken, namespace: connection.namespace, completedType: QueryResultType.QUERY_RESULT_TYPE_FAILED, errorMessage: message })
        .catch(ignoreNotFound);
      return;
    }
    // A failed sticky task clears the run's stickiness and is rescheduled on the normal queue
    // without counting as an attempt (server: workflow_task_state_machine failWorkflowTask).
    await connection
      .call('respondWorkflowTaskFailed', {
        taskToken: task.taskToken,
        namespace: connection.namespace,
        identity,
        cause: WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_STICKY_TASK_QUEUE,
        failure: { message, source: 'TypeScriptSDK' },
      })
      .catch(ignoreNotFound);
  }

  private failAll(err: unknown): void {
    this.opts.logger.error('Shared sticky queue failed', { error: err });
    for (const m of this.router.list()) m.fail(err);
  }
}
