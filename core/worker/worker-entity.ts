import { randomUUID } from 'node:crypto';
import { defaultDataConverter, noopMetricMeter, type LoadedDataConverter, type MetricMeter } from '@temporalio/common';
import { ActivityClient } from '../activity/activity-client.js';
import { ActivityWorker, type DrainPlan } from '../activity/activity-worker.js';
import type { ActivityExecutionDeps, ActivityExecutionReport } from '../activity/activity-execution.js';
import type { Connection } from '../connection/connection.js';
import { temporal } from '../connection/proto.js';
import { IllegalStateError, RuntimeError } from '../errors.js';
import { LocalActivityExecutor } from '../local-activity/local-activity-executor.js';
import { LocalActivityLoop } from '../local-activity/local-activity-loop.js';
import type { LocalActivityAttemptReport } from '../local-activity/local-activity-run.js';
import type { NexusInterceptorsFactory } from '../nexus/nexus-interceptors.js';
import { NexusWorker } from '../nexus/nexus-worker.js';
import { ConsoleLogger, type Logger } from '../logger.js';
import { validate } from '../validate.js';
import type { StickyQueue } from '../workflow-worker/sticky-queue.js';
import { POLL_SETTLE_MS } from '../poll-loop.js';
import { ShutdownBarrier } from '../shutdown-barrier.js';
import { WorkflowWorker } from '../workflow-worker/workflow-worker.js';
import type { WorkflowTaskReport } from '../workflow-worker/workflow-task-handler.js';
import { WorkflowPayloadCodec } from '../workflow-worker/payload-codec.js';
import { workflowBundleFrom } from '../../sandbox/workflow-bundle-source.js';
import { SinkDispatcher } from '../../sandbox/sinks.js';
import { WorkflowSandbox } from '../../sandbox/workflow-sandbox.js';
import type { SandboxOptions } from '../../sandbox/options.js';
import { loadDataConverter } from './data-converter.js';
import { defaultBuildId } from './default-build-id.js';
import { compileShutdown } from './shutdown-options.js';
import { workerEntityDefaults, workerEntityInputSchema, type WorkerEntityInput, type WorkerEntityOptions } from './worker-entity-options.js';
import { WorkerStateMachine, type StateListener, type WorkerState } from './worker-state.js';
import { WorkerVersioning } from './versioning.js';
import { compileTuner } from './tuner.js';

/**
 * The longest open polls may take to end by themselves before ShutdownWorker and then a local
 * abort end them, on a server without `workerPollCompleteOnShutdown`. There, polls carry the
 * connection's short `uncompletedPollTimeoutMs` deadline, which the server answers (empty) about
 * 1 s before: every poll open at the drain has ended by then, with a task (which still runs) or
 * none, and nothing was cancelled. Only a deadline set longer than this leaves polls to abort.
 * Bounded by the drain grace too.
 */
const POLL_NATURAL_END_MS = 5_000;
/** After a poll's own deadline, how long its answer may take to arrive on a loaded machine. */
const POLL_DEADLINE_SLACK_MS = 250;

/** Services an entity borrows from its runtime (or from the caller, when used alone). */
export interface WorkerEntityDeps {
  connection: Connection;
  logger?: Logger;
  dataConverter?: LoadedDataConverter;
  /** The process's shared workflow sandbox; an entity with workflows and none makes its own. */
  sandbox?: WorkflowSandbox;
  /** Options of the sandbox the entity makes when it is given none. */
  sandboxOptions?: SandboxOptions;
  /**
   * The process's shared sticky queue (the runtime passes one per namespace). Without it the
   * entity polls a sticky queue of its own, as the official SDK does.
   */
  stickyQueue?: StickyQueue;
  /**
   * Where `Context.current().metricMeter` (activities) and `metricMeter` (workflows) record; the
   * runtime passes its metrics plugin's meter. @default noopMetricMeter
   */
  metricMeter?: MetricMeter;
  /** Runs around every activity function (activity inbound interceptors); must call `fn(...args)`. */
  activityInvoke?: ActivityExecutionDeps['invoke'];
  /** Nexus interceptors (the official `WorkerOptions.interceptors.nexus`), for every Nexus task. */
  nexusInterceptors?: NexusInterceptorsFactory[];
  /** Hooks for metrics; exceptions thrown by them are swallowed. */
  events?: {
    activityTaskDone?: (report: ActivityExecutionReport, entity: WorkerEntity) => void;
    workflowTaskDone?: (report: WorkflowTaskReport, entity: WorkerEntity) => void;
    /** `sticky`: a poll of the entity's own sticky queue. */
    pollEnd?: (kind: 'activity' | 'workflow', gotTask: boolean, entity: WorkerEntity, sticky?: boolean) => void;
    /** An activity task arrived (polled, or eagerly with a workflow-task answer). */
    activityTaskReceived?: (task: { activityType: string; workflowType: string; eager: boolean }, entity: WorkerEntity) => void;
    /** A run left the sticky cache; `forced` unless its workflow finished. */
    workflowEvicted?: (forced: boolean, entity: WorkerEntity) => void;
    /** A local activity attempt that ran has ended. */
    localActivityAttemptDone?: (report: LocalActivityAttemptReport, entity: WorkerEntity) => void;
  };
}

/** A snapshot for status endpoints. */
export interface WorkerEntityStatus {
  state: WorkerState;
  namespace: string;
  taskQueue: string;
  identity: string;
  activity: { slotsUsed: number; slotsFree: number; completed: number; failed: number; cancelled: number; eager: number; heartbeating: number };
  /** Local activities not resolved yet (running, waiting for a slot or backing off). */
  localActivities: { inFlight: number };
  workflow?: { slotsUsed: number; slotsFree: number; completed: number; failed: number; queries: number; attachedQueries: number; cachedRuns: number; stickyQueue?: string };
  /** With Nexus services: tasks answered by outcome (`operationError` and `handlerError` count failures). */
  nexus?: { slotsUsed: number; slotsFree: number; completed: number; operationError: number; handlerError: number };
  lastError?: LastError;
  /** Long polls open right now, by kind (own sticky queue only; the shared one is the runtime's). */
  pollers: { activity: number; workflow: number; stickyWorkflow: number };
}

/** The entity's latest failure: of the entity itself, or of one of its workflow tasks (with its run). */
export interface LastError {
  code: string;
  message: string;
  workflowType?: string;
  runId?: string;
  /** ISO time it happened. */
  at?: string;
}

/**
 * One namespace + one task queue: polls and runs its tasks. Many live in one process.
 *
 * `await start()`; end with {@link drain} (nothing in flight is dropped) and {@link close}.
 */
export class WorkerEntity {
  readonly options: WorkerEntityOptions;
  /** Unique per entity: polls carry it, so ShutdownWorker ends exactly our polls. */
  readonly workerInstanceKey = randomUUID();
  private readonly machine: WorkerStateMachine;
  private readonly activityWorker: ActivityWorker;
  /** `Context.current().client` of this entity's activities, and `getClient()` of its Nexus handlers. */
  private readonly activityClient: ActivityClient;
  private readonly nexusWorker: NexusWorker | undefined;
  private readonly metricMeter: MetricMeter | undefined;
  private readonly versioning: WorkerVersioning;
  private workflowWorker: WorkflowWorker | undefined;
  /** Runs the local activities of this entity's workflows, with this entity's activity functions. */
  private readonly localActivities: LocalActivityExecutor;
  private ownSandbox: WorkflowSandbox | undefined;
  private readonly logger: Logger;
  /** Filled with the loaded `dataConverter` at start, before any task runs; activities (and their client) hold this object. */
  private readonly converter: LoadedDataConverter;
  private lastError: LastError | undefined;
  private draining: Promise<void> | undefined;
  private starting: Promise<void> | undefined;
  /** Pollers were started: there is something to drain. */
  private started = false;

  constructor(
    input: WorkerEntityInput,
    private readonly deps: WorkerEntityDeps,
  ) {
    const { shutdownGraceTime: _g, shutdownForceTime: _f, tuner, ...parsed } = validate(workerEntityInputSchema, input, 'worker');
    this.options = { ...workerEntityDefaults, ...parsed, ...compileTuner(tuner), ...compileShutdown({ shutdownGraceTime: _g, shutdownForceTime: _f, ...parsed }) } as WorkerEntityOptions;
    this.logger = deps.logger ?? new ConsoleLogger();
    this.machine = new WorkerStateMachine(`worker ${this.options.taskQueue}`);
    const { options } = this;
    this.converter = { ...(deps.dataConverter ?? defaultDataConverter) };
    this.versioning = new WorkerVersioning(options, deps.connection.systemInfo?.capabilities?.buildIdBasedVersioning ?? false);
    // As the official worker's meter: every metric of the entity carries its namespace and task queue.
    this.metricMeter = deps.metricMeter?.withTags({ namespace: deps.connection.namespace, taskQueue: options.taskQueue });
    this.activityClient = new ActivityClient({ connection: deps.connection.options, dataConverter: this.converter, identity: options.identity });
    const activities = new Map(Object.entries(options.activities));
    this.localActivities = new LocalActivityExecutor({
      namespace: deps.connection.namespace,
      taskQueue: options.taskQueue,
      activities,
      dataConverter: this.converter,
      logger: this.logger,
      invoke: deps.activityInvoke,
      maxConcurrentLocalActivityExecutions: options.maxConcurrentLocalActivityExecutions,
      client: this.activityClient,
      metricMeter: this.metricMeter,
      onAttemptDone: this.safe((r: LocalActivityAttemptReport) => deps.events?.localActivityAttemptDone?.(r, this)),
    });
    this.activityWorker = new ActivityWorker({
      connection: deps.connection,
      namespace: deps.connection.namespace,
      taskQueue: options.taskQueue,
      identity: options.identity,
      workerInstanceKey: this.workerInstanceKey,
      versioning: this.versioning,
      activities,
      dataConverter: this.converter,
      logger: this.logger,
      client: this.activityClient,
      metricMeter: this.metricMeter,
      maxConcurrentActivityTaskExecutions: options.maxConcurrentActivityTaskExecutions,
      maxConcurrentActivityTaskPolls: options.maxConcurrentActivityTaskPolls,
      maxActivitiesPerSecond: options.maxActivitiesPerSecond,
      maxTaskQueueActivitiesPerSecond: options.maxTaskQueueActivitiesPerSecond,
      throttle: options,
      invoke: deps.activityInvoke,
      onFatal: (err) => this.fail(err),
      onTaskDone: this.safe((r: ActivityExecutionReport) => deps.events?.activityTaskDone?.(r, this)),
      onPollEnd: this.safe((got: boolean) => deps.events?.pollEnd?.('activity', got, this)),
      onTaskReceived: this.safe((t: { activityType?: { name?: string | null } | null; workflowType?: { name?: string | null } | null }, eager: boolean) =>
        deps.events?.activityTaskReceived?.({ activityType: t.activityType?.name ?? '', workflowType: t.workflowType?.name ?? '', eager }, this),
      ),
    });
    if (options.nexusServices.length > 0) {
      this.nexusWorker = new NexusWorker({
        versioning: this.versioning,
        connection: deps.connection,
        namespace: deps.connection.namespace,
        taskQueue: options.taskQueue,
        identity: options.identity,
        workerInstanceKey: this.workerInstanceKey,
        services: new Map(options.nexusServices.map((s) => [s.definition.name, s])),
        dataConverter: this.converter,
        logger: this.logger,
        metricMeter: this.metricMeter ?? noopMetricMeter,
        client: () => this.activityClient.get(),
        interceptors: deps.nexusInterceptors ?? [],
        maxConcurrentNexusTaskExecutions: options.maxConcurrentNexusTaskExecutions,
        maxConcurrentNexusTaskPolls: options.maxConcurrentNexusTaskPolls,
        onFatal: (err) => this.fail(err),
      });
    }
  }

  get state(): WorkerState {
    return this.machine.state;
  }

  get namespace(): string {
    return this.deps.connection.namespace;
  }

  get taskQueue(): string {
    return this.options.taskQueue;
  }

  get hasWorkflows(): boolean {
    return this.options.workflowsPath !== undefined || this.options.workflowBundle !== undefined;
  }

  /** Activity tasks are polled (the official `enableNonLocalActivities && activities.size > 0`). */
  private get pollsActivities(): boolean {
    return this.hasActivities && this.options.enableNonLocalActivities;
  }

  get hasActivities(): boolean {
    return Object.keys(this.options.activities).length > 0;
  }

  onStateChange(listener: StateListener): () => void {
    return this.machine.onChange(listener);
  }

  /**
   * Bundles the workflows (if any) and starts polling. A start that fails (a workflow module that
   * does not bundle, a forbidden import) leaves the entity FAILED with `lastError` set, logged at
   * ERROR, and rejects. A drain called meanwhile wins: nothing ever polls, and this rejects with
   * ILLEGAL_STATE.
   */
  // async: a wrong state rejects rather than throws. The body up to `this.starting` runs at once,
  // so a drain() right after start() sees the start in progress.
  async start(): Promise<void> {
    this.machine.assert('start', 'INITIALIZED');
    if (this.starting) throw new IllegalStateError(`worker ${this.taskQueue} is starting already.`);
    this.starting = this.startOnce().catch((err: unknown) => {
      if (!this.draining) this.fail(err, 'Worker entity could not start');
      throw err;
    });
    return this.starting;
  }

  private async startOnce(): Promise<void> {
    const { options, deps } = this;
    Object.assign(this.converter, await loadDataConverter(options.dataConverter, this.converter));
    if (this.hasWorkflows) {
      // Converter paths are fine beside a bundle (they serve activities); these two would be lost.
      if (options.workflowBundle && (options.workflowInterceptorModules.length || options.bundlerOptions)) {
        this.logger.warn('A prebuilt workflowBundle keeps the interceptors it was built with; workflowInterceptorModules and bundlerOptions do not change it', { taskQueue: options.taskQueue });
      }
      const bundle = await workflowBundleFrom(options);
      this.versioning.useDefaultBuildId(defaultBuildId(bundle.code));
      const sandbox = deps.sandbox ?? (this.ownSandbox = await WorkflowSandbox.create(deps.sandboxOptions));
      sandbox.registerBundle(bundle);
      this.workflowWorker = new WorkflowWorker({
        connection: deps.connection,
        taskQueue: options.taskQueue,
        identity: options.identity,
        workerInstanceKey: this.workerInstanceKey,
        versioning: this.versioning,
        sandbox,
        bundleId: bundle.id,
        codec: WorkflowPayloadCodec.of(this.converter.payloadCodecs),
        runCreate: { namespace: deps.connection.namespace, taskQueue: options.taskQueue, registeredActivityNames: Object.keys(options.activities), showStackTraceSources: options.showStackTraceSources, ...(options.workflowFailureErrorTypes && { workflowFailureErrorTypes: options.workflowFailureErrorTypes }) },
        sinks: new SinkDispatcher(options.sinks, this.logger, this.metricMeter),
        logger: this.logger,
        // Activities our workflows schedule on this queue come back with the task answer when a slot is free.
        // Off with a queue-wide rate, as in sdk-core: eager tasks would bypass the server's limit.
        eagerActivities: this.pollsActivities && options.maxTaskQueueActivitiesPerSecond === undefined
          ? { reserve: (n) => this.activityWorker.reserveEager(n), release: (n) => this.activityWorker.releaseEager(n), run: (t) => this.activityWorker.runEager(t) }
          : undefined,
        localActivities: new LocalActivityLoop(this.localActivities),
        maxConcurrentWorkflowTaskExecutions: options.maxConcurrentWorkflowTaskExecutions,
        maxConcurrentWorkflowTaskPolls: options.maxConcurrentWorkflowTaskPolls,
        maxCachedWorkflows: options.maxCachedWorkflows,
        stickyQueueScheduleToStartTimeoutMs: options.stickyQueueScheduleToStartTimeoutMs,
        sharedSticky: deps.stickyQueue,
        onFatal: (err) => this.fail(err),
        onTaskDone: this.safe((r: WorkflowTaskReport) => {
          // Logged by the task handler; kept here so GET /workers says what went wrong last.
          if (r.failure) this.lastError = { code: r.failure.code, message: r.failure.message, workflowType: r.workflowType, runId: r.runId, at: new Date().toISOString() };
          deps.events?.workflowTaskDone?.(r, this);
        }),
        onPollEnd: this.safe((got: boolean, sticky: boolean) => deps.events?.pollEnd?.('workflow', got, this, sticky)),
        onEvicted: this.safe((forced: boolean) => deps.events?.workflowEvicted?.(forced, this)),
      });
    } else this.versioning.useDefaultBuildId(defaultBuildId());
    // A drain or close called while bundling: it has already finished or is waiting for us.
    if (this.draining) throw new IllegalStateError(`worker ${this.taskQueue} was drained while it was starting; it never polled.`);
    this.machine.assert('start', 'INITIALIZED');
    if (this.pollsActivities) this.activityWorker.start();
    this.workflowWorker?.start();
    this.nexusWorker?.start();
    this.started = true;
    this.machine.moveTo('RUNNING');
  }

  /** Stops polling; tasks in flight finish. */
  pause(): void {
    this.machine.assert('pause', 'RUNNING');
    this.activityWorker.pause();
    this.workflowWorker?.pause();
    this.nexusWorker?.pause();
    this.machine.moveTo('PAUSED');
  }

  /** Polls again after {@link pause}. */
  resume(): void {
    this.machine.assert('resume', 'PAUSED');
    this.activityWorker.resume();
    this.workflowWorker?.resume();
    this.nexusWorker?.resume();
    this.machine.moveTo('RUNNING');
  }

  /**
   * Stops polling and lets tasks in flight finish within `graceMs`; activities still running then
   * are cancelled with reason WORKER_SHUTDOWN, and those still running `forceTimeMs` later are
   * answered as retryable `WorkerShutdown` failures whatever their code does, so the server
   * retries them elsewhere (see {@link ShutdownOptions}). Resolves in state DRAINED, within
   * grace + force time. Calling it again returns the same promise.
   *
   * Polls are ended by the server (ShutdownWorker with this entity's instance key) rather than
   * cancelled by us, so no task can be handed to a poll that is going away.
   */
  drain(opts: { graceMs?: number; forceTimeMs?: number } = {}): Promise<void> {
    if (this.draining) return this.draining;
    this.machine.assert('drain', 'RUNNING', 'PAUSED', 'FAILED', 'INITIALIZED');
    const graceMs = opts.graceMs ?? this.options.drainGraceMs;
    const forceTimeMs = opts.forceTimeMs ?? this.options.shutdownForceTimeMs;
    const graceEnd = performance.now() + graceMs;
    const plan: DrainPlan = { graceEnd, forceEnd: graceEnd + forceTimeMs, forceTimeMs };
    // A FAILED entity still hands back its tasks in flight, but stays FAILED.
    if (this.state !== 'FAILED') this.machine.moveTo('DRAINING');
    this.draining = (async () => {
      // Still bundling: nothing polls yet. start() sees the drain and stops there.
      if (this.starting) await this.starting.catch(() => undefined);
      if (!this.started) {
        if (this.machine.canMoveTo('DRAINED')) this.machine.moveTo('DRAINED');
        return;
      }
      // A server that completes our polls on ShutdownWorker gets it almost at once (polls busy
      // with a backlog come back first, see POLL_SETTLE_MS); no poll is cancelled by us. Other
      // servers' open polls end by themselves within their short deadline (POLL_NATURAL_END_MS);
      // ShutdownWorker is sent after, so the server forgets our sticky queue and pollers.
      const { connection } = this.deps;
      const naturalEndMs = connection.pollCompleteOnShutdown ? POLL_SETTLE_MS : Math.min(connection.longPollDeadlineMs + POLL_DEADLINE_SLACK_MS, POLL_NATURAL_END_MS);
      // One ShutdownWorker ends every open poll of our instance key, so it waits until each loop
      // has asked for it (its polls quiet) or its polls have ended (see ShutdownBarrier).
      const shutdown = new ShutdownBarrier(() => this.shutdownWorkerCall());
      // Without the capability, ShutdownWorker goes out once the polls have ended: sent earlier it
      // ends our sticky poll at once (bench/poll-end-probe.mts) yet the server goes on routing
      // cached runs' tasks there, so the workflow side hands its runs back first (stopPolling).
      const stopped = Promise.all([
        this.activityWorker.drain(plan, shutdown.cancelOpenPolls, naturalEndMs),
        this.workflowWorker?.stopPolling(Math.min(graceMs, naturalEndMs), shutdown.cancelOpenPolls).then(() => this.workflowWorker?.drain(plan.forceEnd)),
        this.nexusWorker?.drain(plan, shutdown.cancelOpenPolls, naturalEndMs),
      ]);
      // Every loop joined above, synchronously at the start of its stop.
      shutdown.seal();
      await stopped;
      await shutdown.now();
      // Workflow tasks waited for their local activities (or handed back at the heartbeat);
      // what still runs for runs just evicted stops now.
      await this.localActivities.drain(0);
      // A workflow task finishing during the drain may have been handed eager activities
      // (slots reserved before the drain began): they join the same plan.
      if (this.activityWorker.inFlight) await this.activityWorker.drain(plan);
      if (this.machine.canMoveTo('DRAINED')) this.machine.moveTo('DRAINED');
    })();
    return this.draining;
  }

  /** Drains (if still live) and stops. Idempotent. */
  async close(): Promise<void> {
    if (this.state === 'STOPPED') return;
    if (this.state !== 'INITIALIZED' || this.starting) await this.drain();
    if (this.machine.canMoveTo('STOPPED')) this.machine.moveTo('STOPPED');
    await this.activityClient.close();
    await this.ownSandbox?.close();
  }

  status(): WorkerEntityStatus {
    const a = this.activityWorker;
    const w = this.workflowWorker;
    const n = this.nexusWorker;
    return {
      state: this.state,
      namespace: this.namespace,
      taskQueue: this.taskQueue,
      identity: this.options.identity,
      activity: { slotsUsed: a.inFlight, slotsFree: a.slots.capacity - a.inFlight, ...a.counts, eager: a.eagerReceived, heartbeating: a.heartbeating },
      localActivities: { inFlight: this.localActivities.inFlight },
      workflow: w && { slotsUsed: w.inFlight, slotsFree: w.slots.capacity - w.inFlight, ...w.counts, cachedRuns: w.cache.size, stickyQueue: w.stickyQueue },
      nexus: n && { slotsUsed: n.inFlight, slotsFree: n.slots.capacity - n.inFlight, ...n.counts },
      lastError: this.lastError,
      pollers: { activity: a.activePolls, workflow: w?.activePolls.normal ?? 0, stickyWorkflow: w?.activePolls.sticky ?? 0 },
    };
  }

  /** Asks the server to end our open polls and forget our sticky queue. Best effort. */
  private async shutdownWorkerCall(): Promise<void> {
    const { TaskQueueType } = temporal.api.enums.v1;
    const types = [];
    if (this.pollsActivities) types.push(TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY);
    if (this.workflowWorker) types.push(TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW);
    if (this.nexusWorker) types.push(TaskQueueType.TASK_QUEUE_TYPE_NEXUS);
    if (!types.length) return;
    try {
      await this.deps.connection.call('shutdownWorker', {
        namespace: this.namespace,
        identity: this.options.identity,
        reason: 'graceful drain',
        // Only a queue of our own: naming the shared one would unload it for every entity.
        stickyTaskQueue: this.workflowWorker?.ownStickyQueue ?? '',
        workerInstanceKey: this.workerInstanceKey,
        taskQueue: this.taskQueue,
        taskQueueTypes: types,
      }, { retry: false });
    } catch (err) {
      this.logger.warn('ShutdownWorker failed; open polls will be aborted locally', { error: err });
    }
  }

  private safe<A extends unknown[]>(fn: (...a: A) => void): (...a: A) => void {
    return (...a: A) => {
      try {
        fn(...a);
      } catch {
        // metrics hooks must never break task handling
      }
    };
  }

  private fail(err: unknown, what = 'Worker entity failed'): void {
    const code = err instanceof RuntimeError ? err.code : 'WORKER_FAILED';
    this.lastError = { code, message: err instanceof Error ? err.message : String(err), at: new Date().toISOString() };
    this.logger.error(what, { taskQueue: this.taskQueue, code, error: err });
    if (this.machine.canMoveTo('FAILED')) this.machine.moveTo('FAILED');
  }
}
