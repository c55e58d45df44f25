import { defaultDataConverter, type LoadedDataConverter } from '@temporalio/common';
import { ActivityWorker } from '../activity/activity-worker.js';
import type { ActivityExecutionDeps, ActivityExecutionReport } from '../activity/activity-execution.js';
import type { Connection } from '../connection/connection.js';
import { RuntimeError } from '../errors.js';
import { ConsoleLogger, type Logger } from '../logger.js';
import { validate } from '../validate.js';
import { workerEntityDefaults, workerEntityInputSchema, type WorkerEntityInput, type WorkerEntityOptions } from './worker-entity-options.js';
import { WorkerStateMachine, type StateListener, type WorkerState } from './worker-state.js';

/** Services an entity borrows from its runtime (or from the caller, when used alone). */
export interface WorkerEntityDeps {
  connection: Connection;
  logger?: Logger;
  dataConverter?: LoadedDataConverter;
  /** Runs around every activity function (activity inbound interceptors); must call `fn(...args)`. */
  activityInvoke?: ActivityExecutionDeps['invoke'];
  /** Hooks for metrics; exceptions thrown by them are swallowed. */
  events?: {
    activityTaskDone?: (report: ActivityExecutionReport, entity: WorkerEntity) => void;
    pollEnd?: (kind: 'activity' | 'workflow', gotTask: boolean, entity: WorkerEntity) => void;
  };
}

/** A snapshot for status endpoints. */
export interface WorkerEntityStatus {
  state: WorkerState;
  namespace: string;
  taskQueue: string;
  identity: string;
  activity: { slotsUsed: number; slotsFree: number; completed: number; failed: number; cancelled: number };
  lastError?: { code: string; message: string };
}

/**
 * One namespace + one task queue: polls and runs its tasks. Many live in one process.
 *
 * Start with {@link start}; end with {@link drain} (nothing in flight is dropped) and
 * {@link close}.
 */
export class WorkerEntity {
  readonly options: WorkerEntityOptions;
  private readonly machine: WorkerStateMachine;
  private readonly activityWorker: ActivityWorker;
  private readonly logger: Logger;
  private lastError: { code: string; message: string } | undefined;
  private draining: Promise<void> | undefined;

  constructor(
    input: WorkerEntityInput,
    private readonly deps: WorkerEntityDeps,
  ) {
    const parsed = validate(workerEntityInputSchema, input, 'worker');
    this.options = { ...workerEntityDefaults, ...parsed } as WorkerEntityOptions;
    this.logger = deps.logger ?? new ConsoleLogger();
    this.machine = new WorkerStateMachine(`worker ${this.options.taskQueue}`);
    const safe = <A extends unknown[]>(fn: ((...a: A) => void) | undefined) => (...a: A) => {
      try {
        fn?.(...a);
      } catch {
        // metrics hooks must never break task handling
      }
    };
    const { options } = this;
    this.activityWorker = new ActivityWorker({
      connection: deps.connection,
      namespace: deps.connection.namespace,
      taskQueue: options.taskQueue,
      identity: options.identity,
      activities: new Map(Object.entries(options.activities)),
      dataConverter: deps.dataConverter ?? defaultDataConverter,
      logger: this.logger,
      maxConcurrentActivityTaskExecutions: options.maxConcurrentActivityTaskExecutions,
      maxConcurrentActivityTaskPolls: options.maxConcurrentActivityTaskPolls,
      throttle: options,
      invoke: deps.activityInvoke,
      onFatal: (err) => this.fail(err),
      onTaskDone: safe((r: ActivityExecutionReport) => deps.events?.activityTaskDone?.(r, this)),
      onPollEnd: safe((got: boolean) => deps.events?.pollEnd?.('activity', got, this)),
    });
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

  onStateChange(listener: StateListener): () => void {
    return this.machine.onChange(listener);
  }

  /** Starts polling. */
  start(): void {
    this.machine.assert('start', 'INITIALIZED');
    if (Object.keys(this.options.activities).length) this.activityWorker.start();
    this.machine.moveTo('RUNNING');
  }

  /** Stops polling; tasks in flight finish. */
  pause(): void {
    this.machine.assert('pause', 'RUNNING');
    this.activityWorker.pause();
    this.machine.moveTo('PAUSED');
  }

  /** Polls again after {@link pause}. */
  resume(): void {
    this.machine.assert('resume', 'PAUSED');
    this.activityWorker.resume();
    this.machine.moveTo('RUNNING');
  }

  /**
   * Stops polling and lets tasks in flight finish within `graceMs`; activities still running then
   * are cancelled with reason WORKER_SHUTDOWN and answered as failed, so the server retries them
   * elsewhere. Resolves in state DRAINED. Calling it again returns the same promise.
   */
  drain(opts: { graceMs?: number } = {}): Promise<void> {
    if (this.draining) return this.draining;
    this.machine.assert('drain', 'RUNNING', 'PAUSED', 'FAILED', 'INITIALIZED');
    const graceMs = opts.graceMs ?? this.options.drainGraceMs;
    // A FAILED entity still hands back its tasks in flight, but stays FAILED.
    if (this.state === 'RUNNING' || this.state === 'PAUSED') this.machine.moveTo('DRAINING');
    this.draining = (async () => {
      await this.activityWorker.drain(graceMs);
      if (this.machine.canMoveTo('DRAINED')) this.machine.moveTo('DRAINED');
    })();
    return this.draining;
  }

  /** Drains (if still live) and stops. Idempotent. */
  async close(): Promise<void> {
    if (this.state === 'STOPPED') return;
    if (this.state !== 'INITIALIZED') await this.drain();
    if (this.machine.canMoveTo('STOPPED')) this.machine.moveTo('STOPPED');
  }

  status(): WorkerEntityStatus {
    const a = this.activityWorker;
    return {
      state: this.state,
      namespace: this.namespace,
      taskQueue: this.taskQueue,
      identity: this.options.identity,
      activity: { slotsUsed: a.inFlight, slotsFree: a.slots.capacity - a.inFlight, ...a.counts },
      lastError: this.lastError,
    };
  }

  private fail(err: unknown): void {
    const code = err instanceof RuntimeError ? err.code : 'WORKER_FAILED';
    this.lastError = { code, message: err instanceof Error ? err.message : String(err) };
    this.logger.error('Worker entity failed', { taskQueue: this.taskQueue, error: err });
    if (this.machine.canMoveTo('FAILED')) this.machine.moveTo('FAILED');
  }
}
