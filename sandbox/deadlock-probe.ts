/**
 * Finds out where a stuck activation is stuck.
 *
 * A vm `timeout` unwinds the stack before anyone can look at it, so the error alone only says
 * "Script execution timed out". Half-way to the deadline, if the thread is still running the
 * same activation, the host pauses that thread through the inspector's NodeWorker domain (a
 * paused isolate answers even inside an endless loop), reads the call frames, resumes it at once
 * and maps the frames to the workflow sources with the bundle's source map. Best effort: any
 * failure just leaves the location unknown. Nothing is attached until the first activation
 * runs long, and the Debugger domain is enabled only for the few milliseconds of a probe.
 *
 * It is also the deadline of threads that drive their runs without a vm timeout (shared
 * contexts, see thread/workflow-run.ts): a task still running at the deadline gets its thread
 * ended, which no workflow code can resist.
 */
import inspector from 'node:inspector';
import { SourceMap } from 'node:module';
import type { WorkflowBundle } from './bundler.js';
import type { ThreadSlot } from './thread-slot.js';

/** Handle for one activation being watched. */
export interface ProbeWatch {
  stop(): void;
  /** Where the activation was when probed (waits for a probe still in flight), if known. */
  location(): Promise<string | undefined>;
}

interface CallFrame {
  functionName: string;
  location: { scriptId: string; lineNumber: number; columnNumber: number };
}

interface WorkerMessage {
  id?: number;
  method?: string;
  params?: { callFrames?: CallFrame[]; scriptId?: string; url?: string };
}

/** How often a task between two calls into workflow code is looked at again. */
const BETWEEN_CALLS_RECHECK_MS = 50;

/** Shortest wait for an inspector reply; `Debugger.enable` alone can take 50–400 ms on a busy machine. */
const MIN_REPLY_WAIT_MS = 250;

export function describeStuckLocation(location: string | undefined): string {
  return location ? `It was executing ${location}.` : 'Its location could not be determined.';
}

export class DeadlockProbe {
  readonly #deadlockTimeoutMs: number;
  readonly #enabled: boolean;
  readonly #terminateAfterMs: number;
  readonly #bundleByFilename: (filename: string) => WorkflowBundle | undefined;
  readonly #maps = new Map<string, SourceMap | null>();
  #session?: inspector.Session;
  readonly #workerSessions = new Map<string, string>(); // thread id → inspector session id
  readonly #scripts = new Map<string, string>(); // `${session}/${scriptId}` → url
  readonly #replies = new Map<number, (msg: WorkerMessage) => void>();
  readonly #paused = new Map<string, (frames: CallFrame[]) => void>();
  #nextId = 0;
  /** The probe fires at half the deadline; replies may take the other half. */
  readonly #replyWaitMs: number;

  /**
   * @param terminateAfterMs when a watched task has run this long, its thread is ended
   *   ({@link ThreadSlot.terminateStuck}); the deadline of a thread that drives its runs untimed
   */
  constructor(deadlockTimeoutMs: number, enabled: boolean, bundleByFilename: (filename: string) => WorkflowBundle | undefined, terminateAfterMs: number) {
    this.#deadlockTimeoutMs = deadlockTimeoutMs;
    this.#enabled = enabled;
    this.#terminateAfterMs = terminateAfterMs;
    this.#replyWaitMs = Math.max(MIN_REPLY_WAIT_MS, deadlockTimeoutMs / 2);
    this.#bundleByFilename = bundleByFilename;
  }

  /**
   * Watches the task tagged `tag` on `slot` until `stop()`: locates it half-way to the deadline
   * (when enabled), and ends its thread once it has run `terminateAfterMs` (after a location
   * probe in flight has finished, so the error can still say where it was).
   */
  watch(slot: ThreadSlot, tag: number, runId: string): ProbeWatch {
    const half = this.#deadlockTimeoutMs / 2;
    const end = this.#terminateAfterMs;
    let capture: Promise<string | undefined> | undefined;
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    const generation = slot.generation;
    const check = () => {
      // In a call into workflow code since `inCallSince` (what the deadline counts); the task
      // began at `taskSince` (what locating it goes by: before the thread's own vm timeout).
      const [inCallSince, runningTag, , taskSince] = slot.status;
      if (runningTag !== tag || !taskSince) {
        timer = setTimeout(check, half); // still queued
        return;
      }
      if (!inCallSince) {
        timer = setTimeout(check, Math.min(half, BETWEEN_CALLS_RECHECK_MS)); // decoding, compiling: no workflow code to blame
        return;
      }
      const now = Date.now();
      if (this.#enabled && capture === undefined && now - taskSince >= half) capture = this.#capture(slot).catch(() => undefined);
      const elapsed = now - inCallSince;
      if (elapsed >= end) {
        void (capture ?? Promise.resolve()).then(() => stopped || slot.terminateStuck(tag, runId, generation));
        return;
      }
      const untilCapture = this.#enabled && capture === undefined ? Math.max(1, half - (now - taskSince)) : Infinity;
      timer = setTimeout(check, Math.max(1, Math.min(untilCapture, end - elapsed)));
    };
    timer = setTimeout(check, Math.min(half, end));
    return {
      stop: () => {
        stopped = true;
        clearTimeout(timer);
      },
      location: async () => capture,
    };
  }

  close(): void {
    this.#session?.disconnect();
    this.#session = undefined;
  }

  async #capture(slot: ThreadSlot): Promise<string | undefined> {
    await this.#attach();
    const sessionId = slot.threadId === undefined ? undefined : this.#workerSessions.get(String(slot.threadId));
    if (sessionId === undefined) return undefined;
    try {
      await this.#send(sessionId, 'Debugger.enable');
      const paused = new Promise<CallFrame[]>((resolve, reject) => {
        this.#paused.set(sessionId, resolve);
        setTimeout(() => reject(new Error('no pause')), this.#replyWaitMs).unref();
      });
      // If the pause request itself fails (the thread died), nobody awaits `paused` any more.
      paused.catch(() => undefined);
      await this.#send(sessionId, 'Debugger.pause');
      const frames = await paused;
      return this.#describe(sessionId, frames);
    } finally {
      this.#paused.delete(sessionId);
      // Resume before anything else: the thread must reach its own vm timeout, or be ended.
      await this.#send(sessionId, 'Debugger.resume').catch(() => undefined);
      await this.#send(sessionId, 'Debugger.disable').catch(() => undefined);
    }
  }

  /** Maps frames to `fn (file:line:col)`; user code first, library frames only as a fallback. */
  #describe(sessionId: string, frames: CallFrame[]): string | undefined {
    const mapped = frames.flatMap((frame) => {
      const url = this.#scripts.get(`${sessionId}/${frame.location.scriptId}`);
      const bundle = url === undefined ? undefined : this.#bundleByFilename(url);
      if (bundle === undefined) return [];
      const entry = this.#sourceMap(bundle)?.findEntry(frame.location.lineNumber, frame.location.columnNumber);
      const where = entry && 'originalSource' in entry
        ? `${entry.originalSource}:${entry.originalLine + 1}:${entry.originalColumn + 1}`
        : `${url}:${frame.location.lineNumber + 1}:${frame.location.columnNumber + 1}`;
      return [{ text: `${frame.functionName || '<anonymous>'} (${where})`, library: where.includes('node_modules') }];
    });
    const user = mapped.filter((f) => !f.library);
    const chosen = (user.length > 0 ? user : mapped).slice(0, 3);
    return chosen.length > 0 ? chosen.map((f) => f.text).join(' ← ') : undefined;
  }

  #sourceMap(bundle: WorkflowBundle): SourceMap | undefined {
    if (!this.#maps.has(bundle.id)) {
      this.#maps.set(bundle.id, bundle.sourceMap ? new SourceMap(JSON.parse(bundle.sourceMap)) : null);
    }
    return this.#maps.get(bundle.id) ?? undefined;
  }

  /** Attaches to every worker thread of the process, now and as they start (once). */
  async #attach(): Promise<void> {
    if (this.#session !== undefined) return;
    const session = new inspector.Session();
    session.connect();
    session.on('NodeWorker.attachedToWorker', ({ params }) => {
      // `workerId` is the inspector's own counter; the thread id is only in the title.
      const threadId = /^\[worker (\d+)\]/.exec(params.workerInfo.title)?.[1];
      if (threadId !== undefined) this.#workerSessions.set(threadId, params.sessionId);
    });
    session.on('NodeWorker.detachedFromWorker', ({ params }) =>
      this.#workerSessions.forEach((sid, tid) => sid === params.sessionId && this.#workerSessions.delete(tid)),
    );
    session.on('NodeWorker.receivedMessageFromWorker', ({ params }) => this.#onWorkerMessage(params.sessionId, params.message));
    this.#session = session;
    // Attach events for the existing workers arrive before this reply.
    await new Promise<void>((resolve, reject) =>
      session.post('NodeWorker.enable', { waitForDebuggerOnStart: false }, (err) => (err ? reject(err) : resolve())),
    );
  }

  #onWorkerMessage(sessionId: string, raw: string): void {
    const msg = JSON.parse(raw) as WorkerMessage;
    if (msg.id !== undefined) {
      this.#replies.get(msg.id)?.(msg);
      this.#replies.delete(msg.id);
    } else if (msg.method === 'Debugger.scriptParsed' && msg.params?.scriptId && msg.params.url) {
      this.#scripts.set(`${sessionId}/${msg.params.scriptId}`, msg.params.url);
    } else if (msg.method === 'Debugger.paused') {
      const resolve = this.#paused.get(sessionId);
      if (resolve) resolve(msg.params?.callFrames ?? []);
      else void this.#send(sessionId, 'Debugger.resume').catch(() => undefined); // a late pause: never leave it stopped
    }
  }

  #send(sessionId: string, method: string): Promise<WorkerMessage> {
    const session = this.#session;
    if (session === undefined) return Promise.reject(new Error('probe closed'));
    const id = ++this.#nextId;
    const reply = new Promise<WorkerMessage>((resolve, reject) => {
      this.#replies.set(id, resolve);
      // A thread that died never answers.
      setTimeout(() => {
        if (this.#replies.delete(id)) reject(new Error(`${method}: no reply`));
      }, this.#replyWaitMs).unref();
    });
    session.post('NodeWorker.sendMessageToWorker', { sessionId, message: JSON.stringify({ id, method }) });
    return reply;
  }
}
