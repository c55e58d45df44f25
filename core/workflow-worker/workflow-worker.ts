import { randomUUID } from 'node:crypto';
import type { Connection } from '../connection/connection.js';
import { temporal } from '../connection/proto.js';
import type { Logger } from '../logger.js';
import { PollLoop } from '../poll-loop.js';
import { settlesBy } from '../settles-by.js';
import { Slots } from '../slots.js';
import type { WorkflowSandbox } from '../../sandbox/workflow-sandbox.js';
import type { RunCreateOptions } from '../../sandbox/protocol.js';
import type { SinkCallHandler } from '../../sandbox/sinks.js';
import type { StickyMember, StickyQueue } from './sticky-queue.js';
import type { EagerActivitySink } from './eager-activities.js';
import type { LocalActivityLoop } from '../local-activity/local-activity-loop.js';
import type { WorkflowPayloadCodec } from './payload-codec.js';
import { WorkflowRunCache } from './workflow-run-cache.js';
import type { WorkerVersioning } from '../worker/versioning.js';
import { WorkflowTaskHandler, type StickyBinding, type WorkflowTaskReport } from './workflow-task-handler.js';
import type { JoinableCancel } from '../shutdown-barrier.js';

type Task = temporal.api.workflowservice.v1.PollWorkflowTaskQueueResponse;
const { TaskQueueKind } = temporal.api.enums.v1;

export interface WorkflowWorkerDeps {
  connection: Connection;
  taskQueue: string;
  identity: string;
  /** Sent with every poll so ShutdownWorker can end our polls server-side. */
  workerInstanceKey: string;
  /** Build id and deployment version stated on every poll and answer. */
  versioning?: WorkerVersioning;
  sandbox: WorkflowSandbox;
  bundleId: string;
  runCreate: RunCreateOptions;
  /** Receives the sink calls of every activation (`log.*` included). */
  sinks?: SinkCallHandler;
  logger: Logger;
  maxConcurrentWorkflowTaskExecutions: number;
  maxConcurrentWorkflowTaskPolls: number;
  maxCachedWorkflows: number;
  stickyQueueScheduleToStartTimeoutMs: number;
  /** The process's shared sticky queue; without it the entity polls a sticky queue of its own. */
  sharedSticky?: StickyQueue;
  onFatal: (err: unknown) => void;
  onTaskDone?: (report: WorkflowTaskReport) => void;
  /** The entity's activity side, for eager activity execution. */
  eagerActivities?: EagerActivitySink;
  /** Runs the local activities of this entity's workflows. */
  localActivities?: LocalActivityLoop;
  /** The entity's payload codecs, applied to every activation and completion. */
  codec?: WorkflowPayloadCodec;
  /** After each poll of the normal queue (`sticky` false) or the entity's own sticky queue. */
  onPollEnd?: (gotTask: boolean, sticky: boolean) => void;
  /** A run left the cache; `forced` unless its workflow finished. */
  onEvicted?: (forced: boolean) => void;
}

/** ResetStickyTaskQueue calls in flight at once when a draining entity hands its runs back. */
const RESET_CONCURRENCY = 16;

/**
 * The workflow side of a Worker Entity: polls the normal and the sticky queue, runs tasks
 * through the shared sandbox, and keeps runs cached between tasks (LRU, `maxCachedWorkflows`).
 *
 * With a shared sticky queue it polls only its normal queue; the process's sticky pollers hand it
 * the tasks of its runs (see {@link StickyQueue}).
 */
export class WorkflowWorker {
  readonly slots: Slots;
  readonly cache: WorkflowRunCache;
  /** The sticky queue this entity polls itself (none when it shares the process's, or caches nothing). */
  readonly ownStickyQueue: string | undefined;
  readonly counts = { completed: 0, failed: 0, queries: 0, attachedQueries: 0 };
  private readonly handler: WorkflowTaskHandler;
  private readonly loops: PollLoop<Task>[] = [];
  private readonly shared: StickyQueue | undefined;
  private readonly member: StickyMember | undefined;
  /** Tasks the shared queue routed here, for drain. */
  private readonly stickyRunning = new Set<Promise<void>>();
  private paused = false;
  /** Draining: completions stop naming the shared queue, so the server clears each run's stickiness. */
  private detached = false;
  /** Runs handed back at the start of a drain (see stopPolling). */
  private handingBack: Promise<void> | undefined;

  constructor(private readonly deps: WorkflowWorkerDeps) {
    this.slots = new Slots(deps.maxConcurrentWorkflowTaskExecutions);
    this.cache = new WorkflowRunCache(deps.maxCachedWorkflows);
    const sticky = deps.maxCachedWorkflows > 0;
    this.shared = sticky && !deps.versioning?.needsOwnStickyQueue ? deps.sharedSticky : undefined;
    this.ownStickyQueue = sticky && !this.shared ? `${deps.identity}-${deps.taskQueue}-sticky-${randomUUID()}` : undefined;
    this.member = this.shared ? this.makeMember() : undefined;
    this.handler = new WorkflowTaskHandler({
      connection: deps.connection,
      taskQueue: deps.taskQueue,
      identity: deps.identity,
      versioning: deps.versioning,
      sandbox: deps.sandbox,
      bundleId: deps.bundleId,
      cache: this.cache,
      sticky: this.binding(),
      runCreate: deps.runCreate,
      sinks: deps.sinks,
      serverSupportsSdkMetadata: deps.connection.systemInfo?.capabilities?.sdkMetadata ?? true,
      logger: deps.logger,
      eagerActivities: deps.eagerActivities,
      localActivities: deps.localActivities,
      codec: deps.codec,
      onEvicted: deps.onEvicted,
      onTaskDone: (r) => {
        if (r.outcome === 'completed') this.counts.completed++;
        else if (r.outcome === 'failed') this.counts.failed++;
        else if (r.outcome === 'query') this.counts.queries++;
        this.counts.attachedQueries += r.attachedQueries;
        deps.onTaskDone?.(r);
      },
    });
    const polls = Math.max(2, deps.maxConcurrentWorkflowTaskPolls);
    // Like the official SDK, most pollers serve the sticky queue, where cached runs get their tasks.
    // With a shared queue the normal pollers stay as many as beside an own sticky queue: only the
    // sticky ones move to the process.
    const normalPollers = sticky ? Math.max(1, Math.round(polls * 0.2)) : polls;
    this.loops.push(this.loop({ name: deps.taskQueue, kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL }, normalPollers));
    if (this.ownStickyQueue) {
      this.loops.push(this.loop({ name: this.ownStickyQueue, kind: TaskQueueKind.TASK_QUEUE_KIND_STICKY, normalName: deps.taskQueue }, polls - normalPollers || 1));
    }
  }

  /** The sticky queue completions name right now (own or shared). */
  get stickyQueue(): string | undefined {
    return this.ownStickyQueue ?? (this.detached ? undefined : this.shared?.name);
  }

  start(): void {
    for (const l of this.loops) l.start();
    if (this.member) this.shared!.register(this.member);
  }

  pause(): void {
    this.paused = true;
    for (const l of this.loops) l.pause();
  }

  resume(): void {
    this.paused = false;
    for (const l of this.loops) l.resume();
  }

  /** Long polls open right now on the normal queue and on the entity's own sticky queue. */
  get activePolls(): { normal: number; sticky: number } {
    return { normal: this.loops[0]?.activePolls ?? 0, sticky: this.loops[1]?.activePolls ?? 0 };
  }

  get inFlight(): number {
    return this.loops.reduce((n, l) => n + l.inFlight, 0) + this.stickyRunning.size;
  }

  /**
   * Stops polling (after `pollGraceMs` the polls still open are aborted locally). From here on
   * answers stop naming the shared sticky queue (the server clears each run's stickiness as it
   * takes them), but tasks the shared queue still routes here are run, never handed back: a
   * hand-back would write a WorkflowTaskFailed event into a user's history.
   */
  async stopPolling(naturalEndMs: number, cancelOpenPolls?: JoinableCancel): Promise<void> {
    this.detached = true;
    // A server without workerPollCompleteOnShutdown keeps routing a cached run's next task to our
    // sticky queue after we leave, where it waits for its sticky schedule-to-start timeout
    // (measured: every run of a timer loop did). So the runs are handed back (ResetStickyTaskQueue)
    // while our sticky polls are still open to take what is already routed, and answers given
    // from now on carry no sticky queue (see binding()).
    if (this.ownStickyQueue && !this.deps.connection.pollCompleteOnShutdown) this.handingBack ??= this.resetStickiness();
    await Promise.all(this.loops.map((l) => l.stopPolling(naturalEndMs, cancelOpenPolls)));
  }

  /**
   * Waits for tasks in flight, then evicts every cached run. With a shared queue, the runs are
   * first handed back one by one (ResetStickyTaskQueue) while the entity still takes their
   * routed tasks, so their next tasks go straight to the normal queue; only then does it leave
   * the shared queue (the last to leave sends ShutdownWorker naming it, as the server expects).
   * `until` (a `performance.now()` value) bounds the wait.
   */
  async drain(until = Infinity): Promise<void> {
    const settled = (async () => {
      await Promise.all(this.loops.map((l) => l.settled()));
      await this.stickySettled();
      if (this.member) {
        await this.resetStickiness();
        await this.stickySettled();
      }
      await this.handingBack;
      // An answer sent just before the hand-back (still naming our queue) can reach the server
      // after it and make its run sticky again: once every answer is in, hand those back too.
      if (this.handingBack) await this.resetStickiness();
    })();
    // Bounded by the drain's force end: a task still running then (its answer retrying through
    // an outage, say) is left to the server, which times it out and hands it out again.
    if (!(await settlesBy(settled, until))) this.deps.logger.warn('Workflow tasks still running at the end of the drain; the server will retry them', { inFlight: this.inFlight });
    if (this.member) await this.shared!.unregister(this.member, { pollNaturalEndMs: until - performance.now() });
    await this.handler.evictAll();
  }

  private async stickySettled(): Promise<void> {
    while (this.stickyRunning.size) await Promise.allSettled([...this.stickyRunning]);
  }

  private async resetStickiness(): Promise<void> {
    const { connection, logger } = this.deps;
    const runs = this.cache.ids().flatMap((id) => {
      const run = this.cache.peek(id);
      return run && !run.state.isFinished ? [{ workflowId: run.state.options.workflowId, runId: id }] : [];
    });
    for (let i = 0; i < runs.length; i += RESET_CONCURRENCY) {
      await Promise.all(
        runs.slice(i, i + RESET_CONCURRENCY).map((execution) =>
          connection.call('resetStickyTaskQueue', { namespace: connection.namespace, execution }).catch((error: unknown) => {
            // A run that closed meanwhile has nothing to reset; anything else falls back on the
            // shared queue handing the run's next task back.
            logger.debug('ResetStickyTaskQueue failed', { runId: execution.runId, error });
          }),
        ),
      );
    }
  }

  private binding(): StickyBinding | undefined {
    if (this.ownStickyQueue) {
      const own = { name: this.ownStickyQueue, scheduleToStartTimeoutMs: this.deps.stickyQueueScheduleToStartTimeoutMs };
      // Draining on a server without workerPollCompleteOnShutdown: no answer makes a run sticky again (see stopPolling).
      return { current: () => (this.detached && !this.deps.connection.pollCompleteOnShutdown ? undefined : own) };
    }
    const { shared, member } = this;
    if (!shared || !member) return undefined;
    return {
      current: () => {
        const name = this.detached ? undefined : shared.name;
        return name ? { name, scheduleToStartTimeoutMs: this.deps.stickyQueueScheduleToStartTimeoutMs } : undefined;
      },
      claim: (runId) => shared.claim(runId, member),
      release: (runId) => shared.release(runId, member),
    };
  }

  private makeMember(): StickyMember {
    return {
      taskQueue: this.deps.taskQueue,
      // A draining entity still runs what is routed to it (see stopPolling).
      accepting: () => this.detached || !this.paused,
      fail: (err) => this.deps.onFatal(err),
      runSticky: async (task) => {
        // The entity's own limit still holds for routed tasks: wait for one of its slots.
        await this.slots.acquire();
        const run = this.handler.handle(task).finally(() => {
          this.slots.release();
          this.stickyRunning.delete(run);
        });
        this.stickyRunning.add(run);
        await run.catch((error: unknown) => this.deps.logger.error('workflow task handler threw', { error }));
      },
    };
  }

  private loop(taskQueue: temporal.api.taskqueue.v1.ITaskQueue, pollers: number): PollLoop<Task> {
    const { deps } = this;
    const request = { namespace: deps.connection.namespace, taskQueue, identity: deps.identity, workerInstanceKey: deps.workerInstanceKey, ...deps.versioning?.pollFields() };
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
      onPollEnd: deps.onPollEnd && ((got) => deps.onPollEnd!(got, taskQueue.kind === TaskQueueKind.TASK_QUEUE_KIND_STICKY)),
      backoff: deps.connection.options.retry,
      quietStop: deps.connection.pollCompleteOnShutdown,
      logger: deps.logger,
    });
  }
}
