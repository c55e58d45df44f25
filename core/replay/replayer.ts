/**
 * Replays recorded workflow histories against workflow code, to find out before a deploy whether
 * new code is still deterministic for histories of runs started on the old code.
 *
 * A replay is exactly what a live worker does on a cache miss: one workflow task carrying the
 * whole history, fed to a fresh WorkflowRunState, whose activations run in the sandbox until it
 * has nothing left. The state machines compare every command the code issues with the command
 * events in history; the first disagreement is the replay's verdict.
 */
import { randomUUID } from 'node:crypto';
import * as proto from '../connection/proto.js';
import { RuntimeError } from '../errors.js';
import { loggerFrom } from '../logger.js';
import { NondeterminismError, WorkflowRunState } from '../workflow/index.js';
import { EventType, eventIdOf, eventTypeOf, type IHistoryEvent } from '../workflow/proto-types.js';
import { WorkflowPayloadCodec } from '../workflow-worker/payload-codec.js';
import type { WorkerDataConverter } from '../worker/data-converter.js';
import { SinkDispatcher, type InjectedSinks, type SinkCallHandler } from '../../sandbox/sinks.js';
import { workflowBundleFrom, type BundlerOptions, type WorkflowBundleOption } from '../../sandbox/workflow-bundle-source.js';
import { WorkflowSandbox } from '../../sandbox/workflow-sandbox.js';
import { HistoryParseError, ReplayWorkflowTaskFailedError } from './errors.js';
import { historyFromJSON } from './history-json.js';

const Activation = proto.coresdk.workflow_activation.WorkflowActivation;
const Completion = proto.coresdk.workflow_completion.WorkflowActivationCompletion;
const FailedCause = proto.temporal.api.enums.v1.WorkflowTaskFailedCause;
/** A replay logs nothing of the workflow's (the sinks' own errors included): it is a check, not a run. */
const silentLogger = loggerFrom(() => undefined);

/** A history as {@link replayHistory} accepts it: a decoded History, or its JSON (text or parsed). */
export type HistoryInput = proto.temporal.api.history.v1.IHistory | string | object;

/** Options of {@link replayHistory}, {@link replayHistories} and {@link Replayer.create}. */
export interface ReplayOptions {
  /** The workflow code to check: a module, or a directory whose index exports the workflows. */
  readonly workflowsPath?: string;
  /** Or a bundle built ahead, as the live worker's `workflowBundle`. */
  readonly workflowBundle?: WorkflowBundleOption;
  /** Modules exporting `interceptors()`, as given to the live worker. @default [] */
  readonly workflowInterceptorModules?: readonly string[];
  /** As given to the live worker. */
  readonly bundlerOptions?: BundlerOptions;
  /**
   * The live worker's data converter: its codecs decode the history's payloads before the
   * workflow sees them, its converter paths are bundled. Only main-side codecs run here; the
   * converters loaded on the main side are not needed by a replay.
   */
  readonly dataConverter?: WorkerDataConverter;
  /**
   * A sandbox to run in; the caller keeps ownership and closes it. Runs are keyed by run id, so
   * do not replay a history of a run that a live worker sharing this sandbox holds in its cache.
   * @default a private one-thread sandbox, closed when the replay ends
   */
  readonly sandbox?: WorkflowSandbox;
  /**
   * Workflow sinks, in the official shape: as on the official replay worker, only functions with
   * `callDuringReplay: true` are called; workflow `log.*` is not logged.
   * @default none
   */
  readonly sinks?: InjectedSinks;
}

/** Per-history overrides: histories hold neither the workflow id (older servers) nor the run id. */
export interface ReplayRunOptions {
  /** @default the id in WorkflowExecutionStarted, else `'replay'` */
  readonly workflowId?: string;
  /** @default WorkflowExecutionStarted's `originalExecutionRunId`, as the official replayer does */
  readonly runId?: string;
  /** @default 'default' */
  readonly namespace?: string;
}

/** Which run a result is about, and the verdict. */
export type ReplayResult = { readonly workflowId: string; readonly runId: string; readonly workflowType: string } & (
  | { readonly ok: true }
  | {
      readonly ok: false;
      /**
       * `WORKFLOW_NONDETERMINISM` (names the event id, what history holds and what the code did),
       * `REPLAY_WORKFLOW_TASK_FAILED` (the code threw), `WORKFLOW_HISTORY_INVALID`, or a sandbox
       * error such as `WORKFLOW_DEADLOCK`.
       */
      readonly error: RuntimeError;
    }
);

interface TaskBounds {
  previousStartedEventId: number;
  startedEventId: number;
}

/**
 * The task a live worker would get for this history: its newest WorkflowTaskStarted that the code
 * saw (followed by a completion, or last in history), and the last completed one before it.
 */
function taskBounds(events: readonly IHistoryEvent[]): TaskBounds {
  let previousStartedEventId = 0;
  let startedEventId = 0;
  events.forEach((e, i) => {
    if (eventTypeOf(e) !== EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED) return;
    const next = events[i + 1];
    const completed = next !== undefined && eventTypeOf(next) === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED;
    if (completed) previousStartedEventId = eventIdOf(e);
    if (completed || next === undefined) startedEventId = eventIdOf(e);
  });
  return { previousStartedEventId, startedEventId };
}

function asRuntimeError(err: unknown): RuntimeError {
  if (err instanceof RuntimeError) return err;
  return new RuntimeError('UNEXPECTED', err instanceof Error ? err.message : String(err), { cause: err });
}

/**
 * Holds one bundle and one sandbox for many replays.
 *
 * @example
 * ```ts
 * await using replayer = await Replayer.create({ workflowsPath: './src/workflows.ts' });
 * const result = await replayer.replay(await readFile('history.json', 'utf8'));
 * if (!result.ok) console.error(result.error.message);
 * ```
 */
export class Replayer {
  #closed?: Promise<void>;

  private constructor(
    private readonly sandbox: WorkflowSandbox,
    private readonly bundleId: string,
    private readonly ownsSandbox: boolean,
    private readonly sinks: SinkCallHandler | undefined,
    private readonly codec: WorkflowPayloadCodec | undefined,
  ) {}

  /**
   * Bundles the workflow code and makes a sandbox ready.
   * @throws {WorkflowBundleError} `WORKFLOW_BUNDLE_FAILED`, or `WORKFLOW_BUNDLE_FORBIDDEN_IMPORT`
   */
  static async create(options: ReplayOptions): Promise<Replayer> {
    const bundle = await workflowBundleFrom(options);
    // One thread: histories are replayed one after the other.
    const sandbox = options.sandbox ?? (await WorkflowSandbox.create({ threads: 1 }));
    sandbox.registerBundle(bundle);
    const sinks = options.sinks && new SinkDispatcher(options.sinks, silentLogger, undefined, { replayWorker: true });
    return new Replayer(sandbox, bundle.id, options.sandbox === undefined, sinks, WorkflowPayloadCodec.of(options.dataConverter?.payloadCodecs));
  }

  /**
   * Replays one history. Never throws for a verdict: nondeterminism and workflow-task failures
   * come back as `{ ok: false, error }`.
   * @throws {HistoryParseError} `REPLAY_HISTORY_INVALID` when the input is not a history
   */
  async replay(input: HistoryInput, runOptions: ReplayRunOptions = {}): Promise<ReplayResult> {
    const history = historyFromJSON(input);
    const events = history.events;
    const started = events[0]!.workflowExecutionStartedEventAttributes!;
    const workflowType = started.workflowType?.name ?? '';
    if (!workflowType) throw new HistoryParseError('WorkflowExecutionStarted (event 1) names no workflow type.');
    const workflowId = runOptions.workflowId ?? ((started as { workflowId?: string }).workflowId || 'replay');
    const runId = runOptions.runId ?? (started.originalExecutionRunId || randomUUID());
    const namespace = runOptions.namespace ?? 'default';
    const taskQueue = started.taskQueue?.name ?? 'replay';
    const state = new WorkflowRunState({ namespace, taskQueue, runId, workflowId, workflowType });
    const id = { workflowId, runId, workflowType };
    // The sandbox holds runs by key; a sandbox shared with live workers may hold this very run
    // (a history replayed while its run is still cached): a key of its own keeps them apart.
    const sandboxKey = `${runId}#replay-${randomUUID()}`;
    try {
      const error = await this.#run(state, events, { namespace, taskQueue }, sandboxKey);
      return error ? { ...id, ok: false, error } : { ...id, ok: true };
    } finally {
      await this.sandbox.evict(sandboxKey);
    }
  }

  /** Closes the private sandbox (a sandbox passed in options stays open). Idempotent. */
  close(): Promise<void> {
    this.#closed ??= this.ownsSandbox ? this.sandbox.close() : Promise.resolve();
    return this.#closed;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Drives the state as the live workflow-task handler does; returns the verdict's error, if any. */
  async #run(state: WorkflowRunState, events: IHistoryEvent[], info: { namespace: string; taskQueue: string }, sandboxKey: string): Promise<RuntimeError | undefined> {
    const bounds = taskBounds(events);
    try {
      state.applyWorkflowTask({ events, ...bounds });
    } catch (err) {
      return asRuntimeError(err);
    }
    for (let activation = state.nextActivation(); activation; activation = state.nextActivation()) {
      let completion: proto.coresdk.workflow_completion.WorkflowActivationCompletion;
      try {
        const decoded = this.codec ? await this.codec.decodeActivation(activation, state.options) : activation;
        completion = Completion.decode(await this.sandbox.activate({ runId: sandboxKey, bundleId: this.bundleId, activation: Activation.encode(decoded).finish(), info, sinks: this.sinks }));
        // Completions the thread builds itself (an empty activation, a failure) carry the key.
        if (completion.runId === sandboxKey) completion.runId = state.runId;
        await this.codec?.encodeCompletion(completion, state.options);
      } catch (err) {
        return asRuntimeError(err); // deadlock, thread crash, a codec failure: the run is gone
      }
      try {
        state.applyCompletion(completion);
      } catch (err) {
        return asRuntimeError(err); // the state machines' nondeterminism check
      }
    }
    const outcome = state.takeTaskOutcome();
    if (outcome.kind !== 'fail') return undefined;
    const message = outcome.failure.message ?? 'Workflow activation failed';
    // The workflow library reports its own determinism checks (e.g. an unexpected job) this way.
    if (outcome.cause === FailedCause.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR) {
      return new NondeterminismError(`Nondeterminism in the workflow task started at event ${state.lastStartedEventId}: ${message}`);
    }
    return new ReplayWorkflowTaskFailedError(
      `The workflow code failed its workflow task (started at event ${state.lastStartedEventId}) on replay: ${message}`,
      outcome.failure,
    );
  }
}

/**
 * Replays one history against the workflows at `options.workflowsPath`.
 *
 * @example
 * ```ts
 * const result = await replayHistory(await handle.fetchHistory(), { workflowsPath: './src/workflows.ts' });
 * expect(result.ok).toBe(true);
 * ```
 * @throws {HistoryParseError} `REPLAY_HISTORY_INVALID` when the input is not a history
 */
export async function replayHistory(history: HistoryInput, options: ReplayOptions & ReplayRunOptions): Promise<ReplayResult> {
  const replayer = await Replayer.create(options);
  try {
    return await replayer.replay(history, options);
  } finally {
    await replayer.close();
  }
}

/** One item of {@link replayHistories}: a history, or a history with its run options. */
export type ReplayItem = HistoryInput | ({ readonly history: HistoryInput } & ReplayRunOptions);

function isItemWithOptions(item: ReplayItem): item is { readonly history: HistoryInput } & ReplayRunOptions {
  // A GetWorkflowExecutionHistoryResponse also has `history`; run options only make sense beside it.
  return typeof item === 'object' && item !== null && 'history' in item && !('events' in item);
}

/**
 * Replays many histories with one bundle and one sandbox, yielding a result per history in order.
 * Stops early (and cleans up) when the consumer breaks out of the loop.
 * @throws {HistoryParseError} `REPLAY_HISTORY_INVALID` for an input that is not a history
 */
export async function* replayHistories(histories: Iterable<ReplayItem> | AsyncIterable<ReplayItem>, options: ReplayOptions): AsyncGenerator<ReplayResult> {
  const replayer = await Replayer.create(options);
  try {
    for await (const item of histories) {
      yield isItemWithOptions(item) ? await replayer.replay(item.history, item) : await replayer.replay(item);
    }
  } finally {
    await replayer.close();
  }
}
