/**
 * One workflow run inside a sandbox thread, driven one activation at a time through the
 * workflow library's worker interface, in a context of its own or one shared with other runs of
 * the same bundle (see run-context.ts).
 *
 * Every call that can run workflow code enters the context through `vm.Script#runInContext`:
 * with `microtaskMode: 'afterEvaluate'` the context has its own microtask queue, drained only
 * when such a call returns. Plain state updates on the activator (clock, info, flags, patches)
 * are made directly, as they run no workflow code.
 *
 * Each activation is one outer evaluation ({@link DRIVE_SCRIPT}) that calls back into this host
 * code, which makes the inner calls; inner calls still drain the microtask queue (measured).
 *
 * Deadlines: a vm `timeout` makes Node start and join a watchdog thread for that call (~50 µs
 * of CPU on a quiet machine, and two context switches that cost far more on a busy one: a
 * third of the CPU of the whole workflow path, measured with `npm run bench:workflow-path`). So
 * only a private context (`context-per-run`, whose promise is that a deadlock costs only its own
 * run) is driven with a timeout. A shared context is driven untimed: its runs already share the
 * fate of a deadlock, and the host ends a stuck activation by replacing the thread (see
 * ../deadlock-probe.ts), having read the stage from the thread's status cells.
 */
import { executionAsyncId } from 'node:async_hooks';
import vm from 'node:vm';
import proto from '@temporalio/proto';
import common from '@temporalio/common';
import time from '@temporalio/common/lib/time.js';
import workflowFlags from '@temporalio/workflow/lib/flags.js';
import type { SinkCall, WorkflowInfo } from '@temporalio/workflow';
import type { Activator } from '@temporalio/workflow/lib/internals.js';
import type { RunCreateOptions } from '../protocol.js';
import { unwindAsyncContext } from './async-stack.js';
import type { WorkflowLogLevel } from './context-globals.js';
import type { StackOwner } from './promise-stacks.js';
import type { ContextTenant, RunContext } from './run-context.js';
import { driveEnded, driveStarted, setStage } from './thread-status.js';
import { buildWorkflowInfo, withActivationFields } from './workflow-info.js';

type Activation = proto.coresdk.workflow_activation.WorkflowActivation;
type Job = proto.coresdk.workflow_activation.IWorkflowActivationJob;
/** What `concludeActivation` returns: a plain `IWorkflowActivationCompletion`. */
export type Completion = proto.coresdk.workflow_completion.IWorkflowActivationCompletion;

/** The only entry into a context: calls `__TEMPORAL__.api[fn](...args)`. Compiled once per thread. */
const CALL_SCRIPT = new vm.Script('__TEMPORAL__.api[__tempo_call.fn](...__tempo_call.args)', {
  filename: 'tempo-sandbox-call.js',
});

/** The timed outer evaluation: runs the host function installed as `__tempo_drive`. */
const DRIVE_SCRIPT = new vm.Script('__tempo_drive()', { filename: 'tempo-sandbox-drive.js' });

/** Thrown when a call into the context ran past the activation's deadline. */
export class DeadlineExceeded extends Error {
  constructor(readonly stage: string) {
    super(`timed out in ${stage}`);
  }
}

/** A console line or workflow log call, before it is shaped into a log record. */
export interface PendingLog {
  readonly level: WorkflowLogLevel;
  readonly message: string;
  readonly source: 'log' | 'console';
  readonly timestampMs: number;
  readonly attributes: Record<string, unknown>;
}

interface CallGlobal {
  __tempo_call?: { fn: string; args: unknown[] };
  __tempo_drive?: () => unknown;
  __TEMPORAL_ACTIVATOR__?: Activator;
}

function partition<T>(items: readonly T[], test: (item: T) => boolean): [T[], T[]] {
  const yes: T[] = [];
  const no: T[] = [];
  for (const item of items) (test(item) ? yes : no).push(item);
  return [yes, no];
}

function nowNanos(): bigint {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
}

/** Failure for errors raised before the run's own failure converter exists. */
export function defaultErrorToFailure(err: unknown) {
  return common.defaultFailureConverter.errorToFailure(err, common.defaultPayloadConverter);
}

export class WorkflowRun implements ContextTenant {
  readonly info: WorkflowInfo;
  readonly realm: RunContext;
  readonly #context: vm.Context & CallGlobal;
  #activator?: Activator;
  #deadline = 0;
  /** What the run was doing, for the deadlock message. */
  #stage = 'idle';
  #unhandledRejection: unknown;
  readonly #consoleLogs: PendingLog[] = [];
  #stackOwner?: StackOwner;

  private constructor(info: WorkflowInfo, realm: RunContext) {
    this.info = info;
    this.realm = realm;
    this.#context = realm.context as vm.Context & CallGlobal;
  }

  /** Receives the run's `console.*` lines (the context routes them to the current run). */
  onConsole(level: WorkflowLogLevel, message: string): void {
    if (this.#activator?.info.unsafe.isReplayingHistoryEvents) return; // replay must not log twice
    this.#consoleLogs.push({ level, message, source: 'console', timestampMs: Date.now(), attributes: {} });
  }

  /**
   * Readies the context (a private one evaluates the bundle), then initializes the workflow
   * library with the run's info, which loads the run's own user modules. Throws
   * {@link DeadlineExceeded} if module top-level code does not finish. On any throw the run
   * has already left its context.
   */
  static create(realm: RunContext, activation: Activation, options: RunCreateOptions, deadline: number): WorkflowRun {
    const init = activation.jobs.find((job) => job.initializeWorkflow != null)?.initializeWorkflow;
    if (init == null) throw new TypeError('The first activation of a run must contain an initializeWorkflow job');
    const run = new WorkflowRun(buildWorkflowInfo(activation, init, options), realm);
    run.#deadline = deadline;
    const seed = init.randomnessSeed;
    if (seed == null || typeof seed !== 'object') throw new TypeError('initializeWorkflow.randomnessSeed must be a Long');
    try {
      run.#initRuntime(activation, options, seed);
    } catch (err) {
      realm.release(run);
      throw err;
    }
    return run;
  }

  #initRuntime(activation: Activation, options: RunCreateOptions, seed: { toBytes(): number[] }): void {
    this.#drive(() => {
      // 'bundle evaluation' covers user module top-level code too (run by initRuntime).
      this.#stage = 'bundle evaluation';
      setStage(this.#stage);
      this.realm.prepare();
      this.#call('initRuntime', {
        info: this.info,
        randomnessSeed: seed.toBytes(),
        now: time.tsToMs(activation.timestamp),
        showStackTraceSources: options.showStackTraceSources ?? false,
        failureExceptionTypeNames: failureTypeNames(options, this.info.workflowType),
        // Read by the enhanced stack trace query for `sources` (with showStackTraceSources).
        sourceMap: this.realm.source.sourceMap?.forQueries(),
        getTimeOfDay: nowNanos,
        registeredActivityNames: new Set(options.registeredActivityNames ?? []),
        stackTracesEnabled: true, // the thread's promise hook fills the store (promise-stacks.ts)
      });
      // Read while this run's globals are the current ones.
      this.#activator = this.#context.__TEMPORAL_ACTIVATOR__;
      if (this.#activator !== undefined) {
        const { filename, sourceMap } = this.realm.source;
        this.#stackOwner = { store: this.#activator.promiseStackStore, bundleFilename: filename, sourceMap };
      }
    });
  }

  /** Runs one activation to its completion. Throws only {@link DeadlineExceeded}. */
  async activate(activation: Activation, deadline: number): Promise<Completion> {
    this.#deadline = deadline;
    try {
      const completion = this.#drive(() => this.#activateJobs(activation));
      // Unhandled rejections are reported on a later macrotask; give them that turn.
      await new Promise(setImmediate);
      if (this.#unhandledRejection !== undefined) throw this.#unhandledRejection;
      return completion;
    } catch (err) {
      if (err instanceof DeadlineExceeded) throw err;
      const failure = this.#activator ? this.#activator.errorToFailure(err) : defaultErrorToFailure(err);
      return { runId: activation.runId, failed: { failure } };
    }
  }

  stackOwner(): StackOwner | undefined {
    return this.#stackOwner;
  }

  /** Called by the thread's `unhandledRejection` listener: fails the current activation. */
  setUnhandledRejection(reason: unknown): void {
    const err = new Error(`Unhandled Promise rejection: ${String(reason)}`, { cause: reason });
    err.name = 'UnhandledRejectionError';
    this.#unhandledRejection = err;
    if (this.#activator) this.#activator.workflowTaskError = err;
  }

  /** Console lines since the last drain (replayed ones were never kept). */
  drainConsole(): PendingLog[] {
    return this.#consoleLogs.splice(0);
  }

  /** Sink calls (`log.*` included) since the last drain, replayed ones too: a sink may want them. */
  drainSinkCalls(): SinkCall[] {
    return this.#activator?.getAndResetSinkCalls() ?? [];
  }

  /**
   * Releases the run's resources inside the context (storages, interceptors) and leaves it.
   * A shared context outlives its runs, so `destroy()` (which ends the context's own storages)
   * is only called on a private one. Never throws; returns false if the context was left in an
   * untrustworthy state (see {@link RunContext}).
   */
  dispose(deadline: number): boolean {
    this.#deadline = deadline;
    let intact = true;
    try {
      this.#drive(() => {
        this.#call('dispose');
        if (!this.realm.shared) this.#call('destroy');
      });
    } catch (err) {
      // A failing interceptor must not keep the run alive. A deadline unwound the stack
      // mid-flight, which a shared context does not survive.
      intact = !(err instanceof DeadlineExceeded);
    } finally {
      this.realm.release(this);
    }
    return intact;
  }

  #activateJobs(activation: Activation): Completion {
    const activator = this.#requireActivator();
    const [queries, others] = partition(activation.jobs, (job) => job.queryWorkflow != null);
    if (queries.length > 0) {
      if (others.length > 0) throw new TypeError('Got both queries and other jobs in a single activation');
      // Queries read state live: not a replay of history, but they must not produce commands.
      activator.mutateWorkflowInfo((info) => ({ ...info, unsafe: { ...info.unsafe, isReplaying: true, isReplayingHistoryEvents: false } }));
      this.#call('activate', activation);
      return this.#call('concludeActivation') as Completion;
    }
    if (activation.timestamp == null) throw new TypeError('A non-query activation must carry a timestamp');
    activator.now = time.tsToMs(activation.timestamp);
    activator.mutateWorkflowInfo((info) => withActivationFields(info, activation));
    activator.addKnownFlags(activation.availableInternalFlags ?? []);
    if (activation.lastSdkVersion) activator.sdkVersion = activation.lastSdkVersion;

    // The library starts the workflow function when initializeWorkflow is the first job of a batch.
    const jobs = [...activation.jobs].sort((a, b) => Number(b.initializeWorkflow != null) - Number(a.initializeWorkflow != null));
    const init = jobs[0]?.initializeWorkflow;
    if (init != null) this.#call('initialize', init);

    const [patches, nonPatches] = partition(jobs, (job) => job.notifyHasPatch != null);
    for (const { notifyHasPatch } of patches) if (notifyHasPatch != null) activator.notifyHasPatch(notifyHasPatch);

    const hasSignals = nonPatches.some((job) => job.signalWorkflow != null);
    if (!hasSignals || activator.hasFlag(workflowFlags.SdkFlags.ProcessWorkflowActivationJobsAsSingleBatch)) {
      // Like patches, the seed update goes first and does not unblock conditions on its own.
      const [seeds, rest] = partition(nonPatches, (job) => job.updateRandomSeed != null);
      const lastSeed = seeds.at(-1)?.updateRandomSeed;
      if (lastSeed != null) activator.updateRandomSeed(lastSeed);
      this.#runBatch(activation, rest, 0);
    } else {
      // Legacy order (histories written before the single-batch flag): signals, then the rest.
      const [signals, rest] = partition(nonPatches, (job) => job.signalWorkflow != null);
      let batchIndex = 0;
      for (const batch of [signals, rest]) if (batch.length > 0) this.#runBatch(activation, batch, batchIndex++);
    }
    return this.#call('concludeActivation') as Completion;
  }

  #runBatch(activation: Activation, jobs: Job[], batchIndex: number): void {
    // The same message with only these jobs (the library takes jobs off the array it is given):
    // a shallow copy, as the fields are decoded messages already and `fromObject` would walk them all.
    const batch = Object.assign(Object.create(Object.getPrototypeOf(activation) as object) as Activation, activation, { jobs });
    this.#call('activate', batch, batchIndex);
    // Each call drains the context's microtasks; loop until no condition becomes true.
    while ((this.#call('tryUnblockConditions') as number) > 0);
  }

  #requireActivator(): Activator {
    if (this.#activator === undefined) throw new Error('Workflow runtime was not initialized');
    return this.#activator;
  }

  /** Runs `body` inside one timed evaluation of the context (see the module comment). */
  #drive<T>(body: () => T): T {
    const asyncId = executionAsyncId();
    this.#context.__tempo_drive = () => {
      this.realm.enter(this);
      return body();
    };
    try {
      driveStarted();
      if (this.realm.shared) return DRIVE_SCRIPT.runInContext(this.#context) as T;
      const timeout = Math.max(1, Math.ceil(this.#deadline - performance.now()));
      return DRIVE_SCRIPT.runInContext(this.#context, { timeout }) as T;
    } catch (err) {
      if ((err as { code?: unknown } | null)?.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') {
        unwindAsyncContext(asyncId);
        throw new DeadlineExceeded(this.#stage);
      }
      throw err;
    } finally {
      driveEnded();
      this.#context.__tempo_drive = undefined;
    }
  }

  /** Calls `__TEMPORAL__.api[fn](...args)`; only valid inside {@link #drive}. */
  #call(fn: string, ...args: unknown[]): unknown {
    this.#stage = fn;
    setStage(fn);
    this.#context.__tempo_call = { fn, args };
    try {
      return CALL_SCRIPT.runInContext(this.#context);
    } finally {
      this.#context.__tempo_call = undefined; // do not keep the activation alive until the next call
    }
  }
}

/** The error class names that fail a run of `workflowType` (the official worker's resolution: `'*'` plus its own). */
function failureTypeNames(options: RunCreateOptions, workflowType: string): string[] | undefined {
  const byType = options.workflowFailureErrorTypes;
  const names = new Set([...(options.failureExceptionTypeNames ?? []), ...(byType?.['*'] ?? []), ...(byType?.[workflowType] ?? [])]);
  return names.size ? [...names] : undefined;
}
