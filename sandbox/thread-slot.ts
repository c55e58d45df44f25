/**
 * One sandbox thread: a single-thread piscina pool, the runs pinned to it, and what the host
 * knows about its state. N independent one-thread pools rather than one N-thread pool, because
 * a run's context lives in one thread's memory and piscina offers no per-task thread affinity
 * that keeps threads independent (see FACTS.md).
 */
import { Piscina } from 'piscina';
import { STATUS_CELLS, THREAD_STAGES, type SandboxIsolation, type ThreadConfig, type ThreadResult, type ThreadStage, type ThreadTask } from './protocol.js';

export interface ThreadSlotOptions {
  readonly index: number;
  readonly filename: string;
  readonly maxOldGenerationSizeMb: number;
  readonly deadlockTimeoutMs: number;
  readonly isolation: SandboxIsolation;
  readonly forwardLogs: boolean;
  /** Start the thread now rather than with the first task. */
  readonly startNow: boolean;
  /** Called when the thread died (out of memory, crash); the pool has already replaced it. */
  readonly onCrash: (slot: ThreadSlot, cause: unknown) => void;
}

/** The tag of the slot's own evictAll tasks; the sandbox's tags are positive. */
const EVICT_ALL_TAG = -1;

export class ThreadSlot {
  readonly index: number;
  /** Runs pinned to this thread. */
  readonly runs = new Set<string>();
  /** Bundles the host has sent to the current thread; a hint, the thread may answer `needsBundle`. */
  readonly loadedBundles = new Set<string>();
  /** Bumped each time the thread is replaced: results of an older generation are void. */
  generation = 0;
  inFlight = 0;
  /** [start (ms) of the running call into workflow code or 0, task tag, stage, task start or 0], written by the thread (see ThreadConfig). */
  readonly status: Float64Array;
  /** Set when the host ended the thread because the task tagged `tag` overran its deadline. */
  deadlocked?: { readonly tag: number; readonly runId: string; readonly stage: ThreadStage; others?: number };
  readonly #pool: Piscina<ThreadTask, ThreadResult>;
  readonly #onCrash: ThreadSlotOptions['onCrash'];
  readonly #deadlockTimeoutMs: number;

  constructor(options: ThreadSlotOptions) {
    this.index = options.index;
    this.#onCrash = options.onCrash;
    this.#deadlockTimeoutMs = options.deadlockTimeoutMs;
    const status = new SharedArrayBuffer(STATUS_CELLS * Float64Array.BYTES_PER_ELEMENT);
    this.status = new Float64Array(status);
    const workerData: ThreadConfig = {
      deadlockTimeoutMs: options.deadlockTimeoutMs,
      isolation: options.isolation,
      forwardLogs: options.forwardLogs,
      status,
    };
    this.#pool = new Piscina<ThreadTask, ThreadResult>({
      filename: options.filename,
      name: 'default',
      minThreads: options.startNow ? 1 : 0,
      maxThreads: 1,
      idleTimeout: Infinity, // the thread holds run state: it must never be retired for idleness
      atomics: 'disabled', // 'sync' can hang a thread that keeps timers or ports (FACTS.md)
      recordTiming: false, // wait/run histograms per task that nothing reads: CPU on every activation
      resourceLimits: { maxOldGenerationSizeMb: options.maxOldGenerationSizeMb },
      // Plain Node in the thread: the parent's loaders (tsx, vitest) would change how the
      // entry's CommonJS imports interop, and the entry is already built for plain Node.
      execArgv: [],
      workerData,
    });
    // A thread that dies with no task running surfaces here; unheard, it would crash the process.
    this.#pool.on('error', (err: unknown) => this.#crashed(err));
  }

  /** The current thread's id, for diagnostics and the deadlock probe. */
  get threadId(): number | undefined {
    return this.#pool.threads[0]?.threadId;
  }

  /** Pending + running tasks plus pinned runs: what "least loaded" compares. */
  get load(): number {
    return this.runs.size * 1000 + this.inFlight;
  }

  /**
   * Runs a task. Resolves with the thread's answer; rejects only when the thread died, after
   * the crash has been reported through `onCrash`.
   */
  async run(task: ThreadTask): Promise<ThreadResult> {
    // A prewarm is not load: runs keep going to the lowest index on a tie, warm or not yet.
    const counted = task.kind !== 'prewarm';
    if (counted) this.inFlight++;
    const threadId = this.threadId;
    try {
      return await this.#pool.run(task);
    } catch (err) {
      // The handler never throws for workflow faults, so a rejection means the thread died or
      // hit a sandbox bug. Either way its runs can no longer be trusted.
      if (this.threadId === threadId) this.#evictAll();
      this.#crashed(err);
      throw err;
    } finally {
      if (counted) this.inFlight--;
    }
  }

  /**
   * Ends the thread because the task tagged `tag` is still running past its deadline (workflow
   * code that never yields). The pool replaces the thread; the task and the runs pinned here
   * fail as in a crash, and `deadlocked` tells the caller why. A no-op once that task is over.
   */
  terminateStuck(tag: number, runId: string, generation: number): void {
    const [startedAt, runningTag, stage] = this.status;
    // A replaced thread's cells may still show the task it died in.
    if (!startedAt || runningTag !== tag || generation !== this.generation) return;
    this.deadlocked = { tag, runId, stage: THREAD_STAGES[stage ?? 0] ?? 'idle' };
    void this.#pool.threads[0]?.terminate();
  }

  /**
   * Drops every run of a thread that failed but lives on. Disposal runs workflow code, untimed
   * in a shared context, and nobody else watches this task: a thread still in it well past the
   * deadline is ended.
   */
  #evictAll(): void {
    const guard = setTimeout(() => {
      const [startedAt, runningTag] = this.status;
      if (startedAt && runningTag === EVICT_ALL_TAG) void this.#pool.threads[0]?.terminate();
    }, 2 * this.#deadlockTimeoutMs).unref();
    this.#pool.run({ kind: 'evictAll', tag: EVICT_ALL_TAG }).catch(() => undefined).finally(() => clearTimeout(guard));
  }

  async close(): Promise<void> {
    await this.#pool.destroy();
  }

  #crashed(cause: unknown): void {
    this.generation++;
    this.loadedBundles.clear();
    this.#onCrash(this, cause);
  }
}
