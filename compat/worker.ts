import { Context, type Info } from '@temporalio/activity';
import type { Payload } from '@temporalio/common';
import { IllegalStateError } from '@temporalio/common';
import type { ActivityExecutionDeps, ActivityFunction } from '../core/activity/activity-execution.js';
import type { Logger } from '../core/logger.js';
import { WorkerEntity } from '../core/worker/worker-entity.js';
import type { WorkerState as EntityState } from '../core/worker/worker-state.js';
import { NativeConnection } from './native-connection.js';
import { runReplayHistories, runReplayHistory } from './replay.js';
import { applyPlugins, translateWorkerOptions, WorkerOptionUnsupportedError, type ActivityExecuteInput, type ActivityInterceptorsFactory, type WorkerOptions } from './worker-options.js';

/** The official `State` of a worker. */
export type State = 'INITIALIZED' | 'RUNNING' | 'STOPPING' | 'DRAINING' | 'DRAINED' | 'STOPPED' | 'FAILED';

/** The official `PollerState`. */
export type PollerState = 'POLLING' | 'SHUTDOWN' | 'FAILED';

/** The official `WorkerStatus` (`worker.getStatus()`), with the same fields and meanings. */
export interface WorkerStatus {
  runState: State;
  workflowPollerState: PollerState;
  activityPollerState: PollerState;
  hasOutstandingWorkflowPoll: boolean;
  hasOutstandingActivityPoll: boolean;
  numInFlightWorkflowActivations: number;
  /** Local and non-local. */
  numInFlightActivities: number;
  numInFlightNonLocalActivities: number;
  numInFlightLocalActivities: number;
  numCachedWorkflows: number;
  /** Running activities that have heartbeated at least once. */
  numHeartbeatingActivities: number;
}

/**
 * The official worker's limit on one call into a workflow's isolate (not configurable there):
 * the drop-in facade's deadlock timeout, so code that runs on the official worker (a slow first
 * import, say) is not declared deadlocked sooner here. Our runtime's own default is 2 s.
 */
const OFFICIAL_ISOLATE_TIMEOUT_MS = 5_000;

/** Signals that shut every running worker down, as the official Runtime's default `shutdownSignals`. */
const SHUTDOWN_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGQUIT', 'SIGUSR2'];
const running = new Set<Worker>();
const onSignal = (): void => {
  for (const w of running) if (w.getState() === 'RUNNING') w.shutdown();
};

/**
 * `@temporalio/worker`'s `Worker`, as a thin layer over one {@link WorkerEntity}: the same
 * `create` / `run` / `runUntil` / `shutdown` / `getState`, so an existing `worker.ts` moves to
 * this runtime by changing its import.
 */
export class Worker {
  /** Replays one history against workflow code; throws `DeterminismViolationError` or `ReplayError`. */
  static readonly runReplayHistory = runReplayHistory;
  /** Replays many histories; yields `{ workflowId, runId, error? }` for each. */
  static readonly runReplayHistories = runReplayHistories;

  private runPromise: Promise<void> | undefined;
  private stopRequested: (() => void) | undefined;
  private shuttingDown = false;

  private constructor(
    private readonly entity: WorkerEntity,
    readonly options: WorkerOptions,
    /** Set when `create` made the connection itself: closed after `run`, as the official worker does. */
    private readonly ownConnection: NativeConnection | undefined,
  ) {}

  /** The connection this worker uses: the one given, or the one `create` opened. */
  get connection(): NativeConnection {
    return (this.options.connection as NativeConnection | undefined) ?? this.ownConnection!;
  }

  /** A status overview, as the official `getStatus()`. */
  getStatus(): WorkerStatus {
    const s = this.entity.status();
    const runState = this.getState();
    const pollerState: PollerState = runState === 'FAILED' ? 'FAILED' : runState === 'RUNNING' || runState === 'INITIALIZED' ? 'POLLING' : 'SHUTDOWN';
    return {
      runState,
      workflowPollerState: pollerState,
      activityPollerState: pollerState,
      hasOutstandingWorkflowPoll: s.pollers.workflow + s.pollers.stickyWorkflow > 0,
      hasOutstandingActivityPoll: s.pollers.activity > 0,
      numInFlightWorkflowActivations: s.workflow?.slotsUsed ?? 0,
      numInFlightActivities: s.activity.slotsUsed + s.localActivities.inFlight,
      numInFlightNonLocalActivities: s.activity.slotsUsed,
      numInFlightLocalActivities: s.localActivities.inFlight,
      numCachedWorkflows: s.workflow?.cachedRuns ?? 0,
      numHeartbeatingActivities: s.activity.heartbeating,
    };
  }

  /**
   * Connects (checking the namespace) and validates the options. Unlike the official worker,
   * the workflows are bundled when `run()` starts (esbuild, ~70 ms), so a bundling error
   * rejects `run()`.
   */
  static async create(input: WorkerOptions, deps: { logger?: Logger } = {}): Promise<Worker> {
    const options = await applyPlugins(input);
    const t = translateWorkerOptions(options);
    // Duck-typed, not instanceof: the package may be loaded twice (ESM and CommonJS).
    if (options.connection && typeof (options.connection as Partial<NativeConnection>).forNamespace !== 'function') {
      throw new WorkerOptionUnsupportedError(
        'connection',
        "it is not this runtime's NativeConnection (an official @temporalio/worker one, such as TestWorkflowEnvironment's nativeConnection, cannot carry its calls); create one with NativeConnection.connect({ address }) from this package",
      );
    }
    const ownConnection = options.connection ? undefined : await NativeConnection.connect();
    const native = options.connection ?? ownConnection!;
    try {
      const connection = await native.forNamespace(t.namespace);
      const entity = new WorkerEntity(t.entity, {
        connection,
        logger: deps.logger,
        activityInvoke: chainActivityInterceptors(t.activityInterceptors),
        nexusInterceptors: t.nexusInterceptors,
        sandboxOptions: { deadlockTimeoutMs: OFFICIAL_ISOLATE_TIMEOUT_MS },
      });
      return new Worker(entity, options, ownConnection);
    } catch (err) {
      await ownConnection?.close();
      throw err;
    }
  }

  /** The official state names; a paused entity (not reachable through this facade) reads RUNNING. */
  getState(): State {
    // The official worker reads RUNNING from the moment run() is called; ours bundles first.
    if (this.runPromise && this.entity.state === 'INITIALIZED') return this.shuttingDown ? 'STOPPING' : 'RUNNING';
    return toOfficialState(this.entity.state, this.shuttingDown);
  }

  /**
   * Polls until {@link shutdown} (or SIGINT/SIGTERM/SIGQUIT/SIGUSR2), then lets in-flight tasks
   * finish within `shutdownGraceTime`. Rejects if the worker fails.
   */
  run(): Promise<void> {
    if (this.runPromise) throw new IllegalStateError('Worker.run() was already called; a worker runs once.');
    if (this.entity.state !== 'INITIALIZED') throw new IllegalStateError(`Worker cannot run in state ${this.getState()}.`);
    // Plugins wrap the run, the first one outermost, as in the official worker.
    let runWorker = (w: Worker): Promise<void> => w.runToEnd();
    for (const plugin of [...(this.options.plugins ?? [])].reverse()) {
      const inner = runWorker;
      if (plugin.runWorker) runWorker = (w) => plugin.runWorker!(w, inner);
    }
    this.runPromise = runWorker(this);
    return this.runPromise;
  }

  /** Runs until `fnOrPromise` settles, then shuts down; returns its result (or rethrows its error). */
  async runUntil<R>(fnOrPromise: Promise<R> | (() => Promise<R>)): Promise<R> {
    const run = this.run();
    const work = typeof fnOrPromise === 'function' ? fnOrPromise() : fnOrPromise;
    let failed: unknown;
    const guarded = run.catch((err: unknown) => {
      failed = err;
      throw err;
    });
    try {
      // A worker failure ends the wait early, with the worker's error.
      return await Promise.race([work, guarded.then(() => work)]);
    } finally {
      if (!failed && this.getState() === 'RUNNING') this.shutdown();
      await run.catch(() => undefined);
    }
  }

  /** Starts a graceful shutdown; `run()` resolves when it has finished. */
  shutdown(): void {
    // The official wording, which callers match on (the feature suite's harness ignores exactly 'Not running').
    if (this.getState() !== 'RUNNING') throw new IllegalStateError(`Not running. Current state: ${this.getState()}`);
    this.shuttingDown = true;
    this.stopRequested?.();
  }

  private async runToEnd(): Promise<void> {
    const stop = new Promise<void>((resolve) => (this.stopRequested = resolve));
    const failed = new Promise<never>((_, reject) => {
      this.entity.onStateChange((to) => {
        if (to === 'FAILED') reject(new Error(`Worker failed: ${this.entity.status().lastError?.message ?? 'unknown error'}`));
      });
    });
    failed.catch(() => undefined);
    this.track(true);
    try {
      await this.entity.start();
      await Promise.race([stop, failed]);
    } finally {
      this.track(false);
      try {
        await this.entity.close();
      } finally {
        await this.ownConnection?.close();
      }
    }
  }

  private track(on: boolean): void {
    if (on) {
      if (running.size === 0) for (const s of SHUTDOWN_SIGNALS) process.on(s, onSignal);
      running.add(this);
    } else {
      running.delete(this);
      if (running.size === 0) for (const s of SHUTDOWN_SIGNALS) process.off(s, onSignal);
    }
  }
}

function toOfficialState(state: EntityState, shuttingDown: boolean): State {
  switch (state) {
    case 'PAUSED':
      return 'RUNNING';
    case 'DRAINING':
      return shuttingDown ? 'STOPPING' : 'DRAINING';
    default:
      return state;
  }
}

/** Official activity inbound interceptors (per-execution factories) around the activity function. */
function chainActivityInterceptors(factories: readonly ActivityInterceptorsFactory[]): ActivityExecutionDeps['invoke'] {
  if (!factories.length) return undefined;
  return (_info: Info, fn: ActivityFunction, args: unknown[], headers: Readonly<Record<string, Payload>>) => {
    const ctx = Context.current();
    let next = (input: ActivityExecuteInput): Promise<unknown> => Promise.resolve(fn(...input.args));
    for (const factory of [...factories].reverse()) {
      const inbound = factory(ctx).inbound;
      const execute = inbound?.execute?.bind(inbound);
      if (!execute) continue;
      const inner = next;
      next = (input) => execute(input, inner);
    }
    return next({ args, headers: { ...headers } });
  };
}
