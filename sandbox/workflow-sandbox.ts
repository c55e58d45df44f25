/**
 * The workflow sandbox: activation in, completion out. Shared by every worker entity of a
 * process. Runs workflow bundles in `vm` contexts spread over N sandbox threads; each run is
 * pinned to the least-loaded thread when it is created and stays there while it is cached.
 */
import * as proto from '../core/connection/proto.js';
import { IllegalStateError, type RuntimeError } from '../core/errors.js';
import type { WorkflowBundle } from './bundler.js';
import { describeStuckLocation, DeadlockProbe } from './deadlock-probe.js';
import { DeferredEvictions } from './deferred-evictions.js';
import { describeDeadlock, reviveSandboxError, SandboxErrorCode, UnknownBundleError, WorkflowDeadlockError, WorkflowRunNotFoundError, WorkflowThreadCrashedError, type DeadlockedRun } from './errors.js';
import { compileSandboxOptions, type CompiledSandboxOptions, type SandboxOptions } from './options.js';
import { revive } from './portable-values.js';
import type { ActivateTask, BundleCode, RunCreateOptions, ThreadResult, WorkflowLogRecord } from './protocol.js';
import type { SinkCallHandler } from './sinks.js';
import { threadEntryFile } from './thread-entry-build.js';
import { ThreadSlot } from './thread-slot.js';

/** What {@link WorkflowSandbox.activate} needs. */
export interface ActivationRequest {
  readonly runId: string;
  /** Id of a bundle given to {@link WorkflowSandbox.registerBundle}. */
  readonly bundleId: string;
  /** Encoded `coresdk.workflow_activation.WorkflowActivation`. */
  readonly activation: Uint8Array;
  /** Required on the activation that creates the run (the one with initializeWorkflow). */
  readonly info?: RunCreateOptions;
  /**
   * Receives the activation's sink calls (`log.*` included) before `activate` resolves, as the
   * official worker calls sinks before it completes the activation. Without it they are dropped.
   */
  readonly sinks?: SinkCallHandler;
  /** Named in a deadlock error; without it, read from the activation's initializeWorkflow job, if any. */
  readonly workflow?: DeadlockedRun;
}

interface Pin {
  readonly slot: ThreadSlot;
  readonly generation: number;
}

type State = 'running' | 'closing' | 'closed';

const MAX_LOST_REASONS = 10_000;

const bundleCode = (bundle: WorkflowBundle): BundleCode => ({ id: bundle.id, code: bundle.code, filename: bundle.filename, sourceMap: bundle.sourceMap });

/**
 * Runs workflow activations in isolated, deterministic `vm` contexts on a pool of threads.
 *
 * @example
 * ```ts
 * const sandbox = await WorkflowSandbox.create({ threads: 2 });
 * const bundle = await bundleWorkflowCode({ workflowsPath: './workflows.ts' });
 * sandbox.registerBundle(bundle);
 * const completion = await sandbox.activate({
 *   runId, bundleId: bundle.id, activation: encodedActivation, info: { namespace, taskQueue },
 * });
 * ```
 *
 * Lifecycle: `running` → `closing` → `closed`; calls other than `close()` outside `running`
 * throw `ILLEGAL_STATE`. A caller must not send two activations of the same run concurrently
 * (sdk-core never does); activations of different runs may overlap freely.
 */
export class WorkflowSandbox {
  readonly #options: CompiledSandboxOptions;
  readonly #slots: ThreadSlot[];
  readonly #bundles = new Map<string, WorkflowBundle>();
  readonly #bundlesByFilename = new Map<string, WorkflowBundle>();
  /** Whether every thread prepared the bundle, by bundle id (see {@link prepared}). */
  readonly #prepared = new Map<string, Promise<boolean>>();
  readonly #pins = new Map<string, Pin>();
  /** Runs dropped as collateral of another run's failure → why; named in their next error. */
  readonly #lost = new Map<string, string>();
  readonly #inFlight = new Set<Promise<unknown>>();
  readonly #probe: DeadlockProbe;
  readonly #deferred = new DeferredEvictions((slot, runIds) => void this.#dispose(slot, runIds));
  #nextTag = 0;
  #state: State = 'running';
  #closing?: Promise<void>;

  private constructor(options: CompiledSandboxOptions, entryFile: string) {
    this.#options = options;
    this.#slots = Array.from({ length: options.threads }, (_, index) =>
      new ThreadSlot({
        index,
        filename: entryFile,
        maxOldGenerationSizeMb: options.maxOldGenerationSizeMb,
        deadlockTimeoutMs: options.deadlockTimeoutMs,
        isolation: options.isolation,
        forwardLogs: options.onWorkflowLog !== undefined,
        // Thread 0 starts loading now; the others when first needed (a prewarm or a run).
        startNow: index === 0,
        onCrash: (slot, cause) => this.#unpinAll(slot, cause),
      }),
    );
    // Shared contexts run untimed in their thread, which is ended at the deadline; private ones
    // keep a vm timeout there, and this is only the backstop should that ever fail to fire.
    const terminateAfterMs = options.isolation === 'shared-context' ? options.deadlockTimeoutMs : 2 * options.deadlockTimeoutMs + 1000;
    this.#probe = new DeadlockProbe(options.deadlockTimeoutMs, options.locateDeadlocks, (filename) => this.#bundlesByFilename.get(filename), terminateAfterMs);
  }

  /** Builds the thread entry (once per process) and starts the threads. */
  static async create(options: SandboxOptions = {}): Promise<WorkflowSandbox> {
    const compiled = compileSandboxOptions(options);
    return new WorkflowSandbox(compiled, await threadEntryFile(compiled.threadEntryDir));
  }

  /**
   * Makes a bundle available to {@link activate}, and sends its code to the threads (the first at
   * once, then the others) to be compiled and evaluated there (the context its runs share), as the
   * official worker builds its isolate in `Worker.create`: the first activation then finds it
   * ready instead of paying for it.
   * That preparation runs in the background; one that fails is only a missed head start, and the
   * first activation reports the error.
   */
  registerBundle(bundle: WorkflowBundle): void {
    this.#assertRunning('registerBundle');
    const known = this.#bundles.has(bundle.id);
    this.#bundles.set(bundle.id, bundle);
    this.#bundlesByFilename.set(bundle.filename, bundle);
    if (known) return;
    // The first thread at once, the others after it: on a busy start-up they would compete for
    // the cores with it (and with the worker's own start), and the first run goes to thread 0.
    const [first, ...rest] = this.#slots;
    const all = this.#prewarm(first!, bundle).then(async (ok) => {
      if (this.#state !== 'running') return false; // closing: its threads are going away
      return (await Promise.all(rest.map((slot) => this.#prewarm(slot, bundle)))).every(Boolean) && ok;
    });
    this.#prepared.set(bundle.id, all);
  }

  /**
   * Settles when every thread has prepared a registered bundle ({@link registerBundle}): true when
   * all of them could, false when one could not (its first activation there reports why) or the
   * bundle is unknown. Never rejects; nothing needs to wait for it.
   */
  prepared(bundleId: string): Promise<boolean> {
    return this.#prepared.get(bundleId) ?? Promise.resolve(false);
  }

  /**
   * Runs one activation and returns the encoded `WorkflowActivationCompletion`. Creates the run
   * (on the least-loaded thread) when the activation has an initializeWorkflow job. Workflow
   * failures come back inside the completion (`failed`); the sandbox throws only when the run
   * was lost, and then it is already evicted: fail the workflow task and replay.
   *
   * @throws {WorkflowDeadlockError} `WORKFLOW_DEADLOCK`: the activation exceeded `deadlockTimeoutMs`
   * @throws {WorkflowThreadCrashedError} `WORKFLOW_THREAD_CRASHED`: the run's thread died
   * @throws {WorkflowRunNotFoundError} `WORKFLOW_RUN_NOT_FOUND`: no cached run and no initializeWorkflow job
   * @throws {UnknownBundleError} `WORKFLOW_BUNDLE_UNKNOWN`
   */
  async activate(req: ActivationRequest): Promise<Uint8Array> {
    this.#assertRunning('activate');
    const bundle = this.#bundles.get(req.bundleId);
    if (bundle === undefined) throw new UnknownBundleError(req.bundleId);
    const existing = this.#pins.get(req.runId);
    const pin = existing ?? this.#pin(req.runId);
    // A cached run's activations need no creation options: they would only be copied to the thread.
    const create = existing === undefined ? req.info : undefined;
    const task: ActivateTask = { kind: 'activate', tag: this.#tag(), runId: req.runId, bundleId: bundle.id, activation: req.activation, create, sinkCalls: req.sinks !== undefined, quietLogLevels: req.sinks?.quietLogLevels };
    const done = this.#send(pin, task, bundle, existing === undefined, req);
    this.#inFlight.add(done);
    try {
      return await done;
    } finally {
      this.#inFlight.delete(done);
    }
  }

  /**
   * Drops a run and frees its context. A no-op for a run the sandbox does not hold. The run is
   * forgotten at once (its next activation would create it anew); its disposal in the thread
   * rides with the next task sent there, or goes alone shortly after (deferred-evictions.ts),
   * which spares a thread hop per finished workflow.
   */
  async evict(runId: string): Promise<void> {
    this.#lost.delete(runId);
    const pin = this.#pins.get(runId);
    if (pin === undefined) return;
    this.#unpin(runId);
    if (pin.generation !== pin.slot.generation) return; // its thread is gone already
    this.#deferred.add(pin.slot, runId);
  }

  /** The options in force, defaults applied. */
  get settings(): Readonly<CompiledSandboxOptions> {
    return this.#options;
  }

  /** Number of runs currently cached across all threads. */
  runsCached(): number {
    return this.#pins.size;
  }

  /**
   * Stops accepting work, lets in-flight activations finish (at most `deadlockTimeoutMs` more),
   * then terminates the threads. Calling it again returns the same promise.
   */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #shutdown(): Promise<void> {
    this.#state = 'closing';
    const grace = new Promise((resolve) => setTimeout(resolve, this.#options.deadlockTimeoutMs + 500).unref());
    // Disposals still waiting for a task run now: they call the runs' interceptors.
    for (const [slot, runIds] of this.#deferred.takeAll()) void this.#dispose(slot, runIds);
    await Promise.race([Promise.allSettled([...this.#inFlight]), grace]);
    this.#probe.close();
    // Every slot is closed even if one fails; the first failure is reported afterwards.
    const results = await Promise.allSettled(this.#slots.map((slot) => slot.close()));
    this.#pins.clear();
    this.#state = 'closed';
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  #prewarm(slot: ThreadSlot, bundle: WorkflowBundle): Promise<boolean> {
    const generation = slot.generation;
    // Tasks run in order on a thread, so an activation sent meanwhile finds the code there.
    slot.loadedBundles.add(bundle.id);
    const done = slot.run({ kind: 'prewarm', bundle: bundleCode(bundle) }).then(
      (result) => {
        if (!result.ok && slot.generation === generation) slot.loadedBundles.delete(bundle.id);
        return result.ok;
      },
      () => false, // the thread died: the slot has been replaced and reported it
    );
    this.#inFlight.add(done);
    void done.finally(() => this.#inFlight.delete(done));
    return done;
  }

  /** Disposes `runIds` on `slot` in a task of their own (none of their thread's tasks came to take them). */
  #dispose(slot: ThreadSlot, runIds: string[]): Promise<void> {
    const tag = this.#tag();
    const watch = this.#probe.watch(slot, tag, runIds[0]!); // disposal runs interceptors: user code
    const done = slot.run({ kind: 'evict', tag, runIds }).then(
      (result) => this.#forgetLost(result.lostRuns, `disposing runs ${runIds.map((id) => `'${id}'`).join(', ')} broke the context they shared with them`),
      () => undefined, // a crash evicts them anyway
    ).finally(() => watch.stop());
    this.#inFlight.add(done);
    void done.finally(() => this.#inFlight.delete(done));
    return done;
  }

  /** A new task tag; tags wrap well below 2^53, where a float64 status cell stays exact. */
  #tag(): number {
    this.#nextTag = (this.#nextTag % 1e9) + 1;
    return this.#nextTag;
  }

  async #send(pin: Pin, task: ActivateTask, bundle: WorkflowBundle, creating: boolean, req: ActivationRequest): Promise<Uint8Array> {
    const { sinks } = req;
    const { slot } = pin;
    // Evictions waiting for this thread go first; a resend for the bundle needs them no more.
    const withCode = (t: ActivateTask): ActivateTask => ({ ...t, bundle: bundleCode(bundle), evictions: undefined });
    const evictions = this.#deferred.take(slot);
    const first = evictions === undefined ? task : { ...task, evictions };
    let result: ThreadResult;
    /** Runs lost to the first attempt's disposals, when a resend replaced its answer. */
    let lostFirst: readonly string[] | undefined;
    const watch = this.#probe.watch(slot, task.tag, task.runId);
    try {
      result = await slot.run(slot.loadedBundles.has(bundle.id) ? first : { ...first, bundle: bundleCode(bundle) });
      slot.loadedBundles.add(bundle.id);
      lostFirst = result.lostRuns;
      if (!result.ok && result.needsBundle) result = await slot.run(withCode(task));
      // The thread lost a run the host still counted as cached: it is created anew.
      if (!result.ok && result.needsCreate && req.info !== undefined) result = await slot.run({ ...withCode(task), create: req.info });
      if (result.lostRuns === lostFirst) lostFirst = undefined;
    } catch (cause) {
      watch.stop();
      // A thread that ran out of memory near the deadline died of that, whoever saw it first.
      if (slot.deadlocked?.tag === task.tag && !outOfMemory(cause)) throw await this.#deadlockError(slot, task, req, watch.location());
      throw this.#crashError(task.runId, cause);
    } finally {
      watch.stop();
    }
    if (pin.generation !== slot.generation) {
      // Queued before the crash, run on the new thread: it may have created the run there.
      if (result.ok) void slot.run({ kind: 'evict', runIds: [task.runId] }).catch(() => undefined);
      throw this.#crashError(task.runId);
    }
    this.#forgetLost(lostFirst, `disposing runs evicted before run '${task.runId}' broke the context they shared with them`);
    this.#forgetLost(result.lostRuns, `run '${task.runId}' broke the context they shared with it (${result.ok ? 'disposal' : result.error.code})`);
    if (!result.ok) {
      // A run that failed to come into existence must not count as cached.
      if (result.evicted || creating) this.#unpin(task.runId);
      const location = result.error.code === SandboxErrorCode.deadlock ? await watch.location() : undefined;
      throw this.#error(result.error, task.runId, location);
    }
    if (result.closed) this.#unpin(task.runId);
    this.#lost.delete(task.runId);
    this.#forwardLogs(result);
    if (sinks !== undefined && result.sinkCalls !== undefined) await sinks.dispatch(result.sinkCalls);
    return result.completion;
  }

  #error(error: { code: SandboxErrorCode; message: string }, runId: string, location: string | undefined): RuntimeError {
    if (error.code === SandboxErrorCode.deadlock) return new WorkflowDeadlockError(`${error.message} ${describeStuckLocation(location)}`);
    const lost = this.#lost.get(runId);
    if (error.code === SandboxErrorCode.runNotFound && lost !== undefined) {
      this.#lost.delete(runId);
      return new WorkflowRunNotFoundError(runId, `it was evicted because ${lost}`);
    }
    return reviveSandboxError(error, runId);
  }

  /**
   * Unpins runs the thread dropped as collateral (their shared context broke). Their next
   * activation then fails with `WORKFLOW_RUN_NOT_FOUND`, and the caller replays them.
   */
  #forgetLost(runIds: readonly string[] | undefined, reason: string): void {
    for (const runId of runIds ?? []) {
      this.#unpin(runId);
      this.#lost.set(runId, reason);
      // Bounded: an entry only improves an error message.
      if (this.#lost.size > MAX_LOST_REASONS) this.#lost.delete(this.#lost.keys().next().value as string);
    }
  }

  /** The host ended the thread of `task` at its deadline (see DeadlockProbe). */
  async #deadlockError(slot: ThreadSlot, task: ActivateTask, req: ActivationRequest, location: Promise<string | undefined>): Promise<WorkflowDeadlockError> {
    const stuck = slot.deadlocked!;
    const message = describeDeadlock(req.workflow ?? initialWorkflow(req.activation), task.runId, this.#options.deadlockTimeoutMs, stuck.stage, stuck.others ?? 0, 'thread');
    return new WorkflowDeadlockError(`${message} ${describeStuckLocation(await location)}`);
  }

  #crashError(runId: string, cause?: unknown): WorkflowThreadCrashedError {
    const reason = cause instanceof Error ? `: ${cause.message}` : '';
    return new WorkflowThreadCrashedError(
      `The sandbox thread running workflow run '${runId}' died${reason}. The thread was replaced and its runs were evicted; replay them from history.`,
      { cause },
    );
  }

  #forwardLogs(result: ThreadResult & { ok: true }): void {
    const sink = this.#options.onWorkflowLog;
    if (sink === undefined) return;
    for (const record of result.logs) {
      try {
        sink({ ...record, attributes: revive(record.attributes) as WorkflowLogRecord['attributes'] });
      } catch {
        // A throwing log listener must not fail the workflow task.
      }
    }
  }

  #pin(runId: string): Pin {
    const slot = this.#slots.reduce((best, s) => (s.load < best.load ? s : best));
    const pin = { slot, generation: slot.generation };
    this.#pins.set(runId, pin);
    slot.runs.add(runId);
    return pin;
  }

  #unpin(runId: string): void {
    this.#pins.get(runId)?.slot.runs.delete(runId);
    this.#pins.delete(runId);
  }

  #unpinAll(slot: ThreadSlot, cause?: unknown): void {
    const stuck = slot.deadlocked;
    if (stuck !== undefined && stuck.others === undefined && !outOfMemory(cause)) {
      // The thread was ended for one run's deadlock: name it in the others' next errors.
      const others = [...slot.runs].filter((id) => id !== stuck.runId);
      stuck.others = others.length;
      this.#forgetLost(others, `run '${stuck.runId}' broke the context they shared with it (a deadlock: its thread was replaced)`);
    }
    for (const runId of slot.runs) this.#pins.delete(runId);
    slot.runs.clear();
  }

  #assertRunning(what: string): void {
    if (this.#state !== 'running') throw new IllegalStateError(`WorkflowSandbox.${what}() called while the sandbox is ${this.#state}`);
  }
}

/** The thread died of its heap limit (`maxOldGenerationSizeMb`), not of being ended. */
function outOfMemory(cause: unknown): boolean {
  return (cause as { code?: unknown } | null)?.code === 'ERR_WORKER_OUT_OF_MEMORY';
}

/** The workflow an activation starts, if it has an initializeWorkflow job; only read on the error path. */
function initialWorkflow(bytes: Uint8Array): DeadlockedRun | undefined {
  try {
    return proto.coresdk.workflow_activation.WorkflowActivation.decode(bytes).jobs.find((job) => job.initializeWorkflow != null)?.initializeWorkflow ?? undefined;
  } catch {
    return undefined;
  }
}
