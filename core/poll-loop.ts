import { status } from './connection/grpc-status.js';
import { setMaxListeners } from 'node:events';
import { backoffDelayMs, sleep } from './connection/backoff.js';
import type { RetryOptions } from './connection/connection-options.js';
import { ServiceCallError, type Connection, type RequestOf, type ResponseOf } from './connection/connection.js';
import { temporal } from './connection/proto.js';
import type { Logger } from './logger.js';
import type { Slots } from './slots.js';
import type { JoinableCancel } from './shutdown-barrier.js';

const noop = (): void => undefined;

/**
 * The controller every poll of a loop listens to: each open poll and each poller waiting for a
 * slot holds one listener until it ends, so a loop with more than 10 pollers would trip Node's
 * MaxListenersExceededWarning although nothing leaks.
 */
function pollController(): AbortController {
  const c = new AbortController();
  setMaxListeners(0, c.signal);
  return c;
}

/** Wraps `fn` so it runs at most once; every call gets the first call's promise. */
export function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= fn());
}

/** After the server was asked to end our polls, how long they get before a local abort. */
export const ABORT_GRACE_MS = 3_000;

/**
 * On a server that completes polls on ShutdownWorker, how long a loop whose polls are bringing
 * tasks waits after the last one before ShutdownWorker. Polls on a queue with a backlog return
 * within milliseconds, each with a task, and are not renewed; ending one mid-dispatch loses its
 * task on Server 1.32 (bench:drain: ShutdownWorker at once lost a workflow task in 2 of 8 rounds,
 * the official worker loses one in most rounds). 200 ms still lost one task in 20 rounds, handed
 * out 35 ms before the drain and not delivered 235 ms later on the benchmark's cold server.
 */
export const POLL_SETTLE_MS = 500;

/**
 * A loop that got two tasks or more within this long before its stop is busy: its polls are
 * draining a backlog, and the server may be handing the next task out (see
 * {@link PollLoop.stopPolling}). One task alone (a workflow's own next task, just run) is no
 * backlog: after it, a task could arrive only as on an idle loop.
 */
const BUSY_WINDOW_MS = 2_000;

/** The longest a quietStop loop waits for its polls to go quiet before ShutdownWorker. */
const QUIET_STOP_CAP_MS = 5_000;

/** gRPC codes after which polling again cannot help: the entity fails. */
const FATAL_CODES = new Set<status>([status.NOT_FOUND, status.PERMISSION_DENIED, status.UNAUTHENTICATED, status.INVALID_ARGUMENT, status.UNIMPLEMENTED]);

export function isFatalPollError(err: unknown): boolean {
  return err instanceof ServiceCallError && FATAL_CODES.has(err.grpcCode);
}

export interface PollLoopOptions<T> {
  /** For logs: 'activity' or 'workflow'. */
  name: string;
  pollers: number;
  slots: Slots;
  /** One long poll; resolves `undefined` when the server answered with no task. */
  poll: (signal: AbortSignal) => Promise<T | undefined>;
  /** Runs a task; called with a slot held, which is released when it settles. */
  handle: (task: T) => Promise<void>;
  /** A non-retryable poll error: the loop has stopped. */
  onFatal: (err: unknown) => void;
  /** Called after each poll attempt ends, with or without a task. */
  onPollEnd?: (gotTask: boolean) => void;
  backoff: RetryOptions;
  logger: Logger;
  /**
   * The server completes our open polls on ShutdownWorker (`workerPollCompleteOnShutdown`): then
   * {@link PollLoop.stopPolling}'s wait counts from the last task a poll brought, so a loop whose
   * polls sit idle sends ShutdownWorker at once.
   */
  quietStop?: boolean;
}

/**
 * N pollers that each take a slot, long-poll, and hand the task on. Pausing aborts the polls in
 * flight and holds the pollers; tasks already taken keep running.
 */
export class PollLoop<T> {
  private pollAbort = pollController();
  private stopped = false;
  private paused = false;
  private resumeGate: { promise: Promise<void>; open: () => void } | undefined;
  private pollers: Promise<void>[] = [];
  private readonly running = new Set<Promise<void>>();
  private polling = 0;
  /** `performance.now()` when a poll last brought a task. */
  private lastTaskAt = -Infinity;
  /** The same for the task before that one. */
  private previousTaskAt = -Infinity;

  constructor(private readonly opts: PollLoopOptions<T>) {}

  start(): void {
    for (let i = 0; i < this.opts.pollers; i++) this.pollers.push(this.pollForever());
  }

  /** Aborts the polls in flight and holds the pollers until {@link resume}. */
  pause(): void {
    if (this.paused || this.stopped) return;
    this.paused = true;
    let open!: () => void;
    const promise = new Promise<void>((r) => (open = r));
    this.resumeGate = { promise, open };
    this.pollAbort.abort(new Error('paused'));
  }

  resume(): void {
    if (!this.paused || this.stopped) return;
    this.paused = false;
    this.pollAbort = pollController();
    this.resumeGate?.open();
    this.resumeGate = undefined;
  }

  /**
   * Stops polling for good; resolves when every poller has returned. Tasks keep running, and a
   * task a closing poll still brings back is run too.
   *
   * Ending a long poll early can lose a task: if the server is handing a task to the poll at
   * that moment (it has already recorded it as started), the task waits for its timeout. That is
   * true of a client-side cancel and, as measured here, of the server's own ShutdownWorker
   * cancellation too. So open polls first get `naturalEndMs` to end by themselves (at once while
   * the queue has a backlog, after the server's long-poll interval when it is idle). Only then
   * are the stragglers ended: by the server through `cancelOpenPolls` (ShutdownWorker with our
   * instance key), and after a further {@link ABORT_GRACE_MS} by a local abort.
   *
   * On a server with the `workerPollCompleteOnShutdown` capability the caller passes
   * {@link POLL_SETTLE_MS} and the loop was built with `quietStop`: polls still bringing tasks get
   * until none has come for that long (at most 5 s), then ShutdownWorker goes out and the server completes the open polls with empty
   * answers, so nothing is cancelled by us and the local abort stays a safety net.
   */
  async stopPolling(naturalEndMs = 0, cancelOpenPolls?: JoinableCancel): Promise<void> {
    // Joined now, before any wait, so a shared ShutdownWorker waits for this loop too.
    const ask = cancelOpenPolls?.join ? cancelOpenPolls.join() : cancelOpenPolls;
    this.stopped = true;
    this.resumeGate?.open();
    let ended = false;
    const all = Promise.all(this.pollers).then(() => void (ended = true));
    const within = async (ms: number) => {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([all, new Promise((r) => (timer = setTimeout(r, ms)))]);
      clearTimeout(timer);
    };
    const start = performance.now();
    // With quietStop, only a loop whose polls are bringing tasks (a backlog) waits, until they
    // have brought none for `naturalEndMs`: ending a poll mid-dispatch is what loses a task, and
    // on a loaded server a dispatch can take longer than that, so a loop busy just before the
    // stop counts its quiet from the stop. Any other loop's polls the server ends empty, at once.
    const busy = start - this.previousTaskAt < BUSY_WINDOW_MS;
    const waitEnd = () =>
      naturalEndMs <= 0 ? start : this.opts.quietStop ? (busy ? Math.min(start + QUIET_STOP_CAP_MS, Math.max(this.lastTaskAt, start) + naturalEndMs) : start) : start + naturalEndMs;
    while (!ended && waitEnd() > performance.now()) await within(waitEnd() - performance.now());
    if (!ended && ask) {
      await Promise.race([all, ask().then(noop, noop)]);
      if (!ended) await within(ABORT_GRACE_MS);
    } else if (ask && cancelOpenPolls?.join) {
      // Our polls ended by themselves: count as asked, so the others need not wait for us.
      void ask().then(noop, noop);
    }
    this.pollAbort.abort(new Error('stopped'));
    await all;
  }

  /** Resolves when every task taken so far has settled. */
  async settled(): Promise<void> {
    while (this.running.size) await Promise.allSettled([...this.running]);
  }

  get inFlight(): number {
    return this.running.size;
  }

  /** Long polls open right now (sdk-core's `num_pollers`). */
  get activePolls(): number {
    return this.polling;
  }

  private async pollForever(): Promise<void> {
    const { slots, logger, name } = this.opts;
    let failures = 0;
    while (!this.stopped) {
      if (this.resumeGate) {
        await this.resumeGate.promise;
        continue;
      }
      const signal = this.pollAbort.signal;
      try {
        // A free slot is taken at once; only a full loop waits (and makes a promise for it).
        if (signal.aborted || slots.tryAcquire(1) === 0) await slots.acquire(signal);
      } catch {
        continue; // paused or stopped while waiting for a slot
      }
      // A slot freed after stop (or pause) must not start a new poll.
      if (this.stopped || this.resumeGate) {
        slots.release();
        continue;
      }
      let task: T | undefined;
      this.polling++;
      try {
        task = await this.opts.poll(signal);
        failures = 0;
      } catch (err) {
        this.polling--;
        slots.release();
        this.opts.onPollEnd?.(false);
        if (signal.aborted) continue;
        if (isFatalPollError(err)) {
          this.stopped = true;
          this.opts.onFatal(err);
          return;
        }
        failures++;
        logger.warn(`${name} poll failed; retrying`, { error: err, attempt: failures });
        await sleep(backoffDelayMs(failures, this.opts.backoff), signal).catch(() => undefined);
        continue;
      }
      this.polling--;
      this.opts.onPollEnd?.(task !== undefined);
      if (task !== undefined) [this.previousTaskAt, this.lastTaskAt] = [this.lastTaskAt, performance.now()];
      if (task === undefined) {
        slots.release();
        continue;
      }
      // A task that arrives after pause or stop still runs: the server has already handed it to us.
      const settle = () => {
        slots.release();
        this.running.delete(run);
      };
      const run: Promise<void> = this.opts.handle(task).then(settle, (err: unknown) => {
        logger.error(`${name} task handler threw`, { error: err });
        settle();
      });
      this.running.add(run);
    }
  }
}

/** Who polls a normal task queue (activity or Nexus side of an entity), and where its failures go. */
export interface QueuePollerDeps {
  connection: Connection;
  namespace: string;
  taskQueue: string;
  identity: string;
  /** Sent with every poll so ShutdownWorker can end our polls server-side. */
  workerInstanceKey: string;
  logger: Logger;
  onFatal: (err: unknown) => void;
  onPollEnd?: (gotTask: boolean) => void;
}

/**
 * A {@link PollLoop} on one of the entity's normal task queues: `pollers` capped by the slots,
 * an answer without a task token counts as no task.
 */
export function taskQueuePollLoop<M extends 'pollActivityTaskQueue' | 'pollNexusTaskQueue'>(
  method: M,
  opts: {
    name: string;
    pollers: number;
    slots: Slots;
    handle: (task: ResponseOf<M>) => Promise<void>;
    /** More request fields (versioning, task queue metadata). */
    request?: Partial<RequestOf<M>>;
    /** Awaited before each poll (a rate limit). */
    beforePoll?: (signal: AbortSignal) => Promise<void>;
  },
  deps: QueuePollerDeps,
): PollLoop<ResponseOf<M>> {
  const { request: extra, beforePoll, ...loop } = opts;
  const request = {
    namespace: deps.namespace,
    taskQueue: { name: deps.taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    identity: deps.identity,
    workerInstanceKey: deps.workerInstanceKey,
    ...extra,
  };
  return new PollLoop<ResponseOf<M>>({
    ...loop,
    pollers: Math.min(opts.pollers, opts.slots.capacity),
    poll: (signal) => {
      // Both requests take exactly these fields; the generic call cannot see that through `M`.
      const call = () =>
        deps.connection.call(method, request as RequestOf<M>, { longPoll: true, signal }).then((res) => ((res as { taskToken?: Uint8Array | null }).taskToken?.length ? res : undefined));
      return beforePoll ? beforePoll(signal).then(call) : call();
    },
    onFatal: deps.onFatal,
    onPollEnd: deps.onPollEnd,
    backoff: deps.connection.options.retry,
    logger: deps.logger,
    quietStop: deps.connection.pollCompleteOnShutdown,
  });
}
