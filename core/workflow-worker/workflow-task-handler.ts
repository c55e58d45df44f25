import { status } from '../connection/grpc-status.js';
import { isMessageTooLarge, ServiceCallError, type Connection } from '../connection/connection.js';
import { coresdk, temporal } from '../connection/proto.js';
import { msNumberToTs, tsToMs } from '@temporalio/common/lib/time.js';
import { RuntimeError } from '../errors.js';
import type { Logger } from '../logger.js';
import { WorkflowRunState, type WorkflowTaskOutcome } from '../workflow/index.js';
import type { WorkflowSandbox } from '../../sandbox/workflow-sandbox.js';
import type { RunCreateOptions } from '../../sandbox/protocol.js';
import type { SinkCallHandler } from '../../sandbox/sinks.js';
import { LocalActivityLoop } from '../local-activity/local-activity-loop.js';
import { requestEager, settleEager, type EagerActivitySink } from './eager-activities.js';
import { workflowTaskDeadline } from './answer-deadline.js';
import { historyForTask } from './history-fetcher.js';
import { describeFailedTask, describeRefusedAnswer, failTaskTooLarge, logWorkflowTaskFailure, type WorkflowTaskFailure } from './task-failure-report.js';
import type { WorkflowPayloadCodec } from './payload-codec.js';
import { WorkflowRunCache, type CachedRun } from './workflow-run-cache.js';
import type { WorkerVersioning } from '../worker/versioning.js';

type Task = temporal.api.workflowservice.v1.PollWorkflowTaskQueueResponse;
const Activation = coresdk.workflow_activation.WorkflowActivation;
const Completion = coresdk.workflow_completion.WorkflowActivationCompletion;
const FailedCause = temporal.api.enums.v1.WorkflowTaskFailedCause;
const CommandType = temporal.api.enums.v1.CommandType;
/** Commands that close the run, and what the SDK metrics call that ending. */
const TERMINAL = new Map<number, WorkflowOutcome>([
  [CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION, 'completed'],
  [CommandType.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION, 'failed'],
  [CommandType.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION, 'canceled'],
  [CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION, 'continue_as_new'],
]);

export type WorkflowOutcome = 'completed' | 'failed' | 'canceled' | 'continue_as_new';

/** What a handled workflow task reports to metrics hooks. */
export interface WorkflowTaskReport {
  workflowType: string;
  runId: string;
  outcome: 'completed' | 'failed' | 'query' | 'none';
  durationMs: number;
  cacheHit: boolean;
  /** From the server scheduling the task to a poller receiving it (server clock), when known. */
  scheduleToStartMs?: number;
  /** Queries that came attached to the task and were answered with it. */
  attachedQueries: number;
  /** Set when the server accepted a command that closes the run. */
  workflowOutcome?: WorkflowOutcome;
  error?: unknown;
  /** Set when the task failed (outcome `failed`): what was logged and goes to `lastError` and metrics. */
  failure?: WorkflowTaskFailure;
  /**
   * As sdk-core counts the sticky cache: a hit is a partial-history task for a cached run, a
   * miss a partial-history task whose run was not cached (its full history had to be fetched).
   * A full-history task (a new run, or one handed back to the normal queue) is neither.
   */
  sticky?: 'hit' | 'miss';
  /** Time spent replaying history before the first new activation, when the task replayed. */
  replayMs?: number;
  /** The run closed with this task: from its WorkflowExecutionStarted event to now. */
  workflowEndToEndMs?: number;
}

export interface WorkflowTaskHandlerDeps {
  connection: Connection;
  taskQueue: string;
  identity: string;
  /** Build id, deployment version and versioning behaviour stated on every answer. */
  versioning?: WorkerVersioning;
  sandbox: WorkflowSandbox;
  bundleId: string;
  cache: WorkflowRunCache;
  /** Where the server should send a run's next task; absent when caching is off. */
  sticky?: StickyBinding;
  runCreate: RunCreateOptions;
  /** Receives the sink calls of every activation (`log.*` included). */
  sinks?: SinkCallHandler;
  serverSupportsSdkMetadata: boolean;
  logger: Logger;
  onTaskDone?: (report: WorkflowTaskReport) => void;
  /** The entity's activity side, for eager activity execution; absent: none requested. */
  eagerActivities?: EagerActivitySink;
  /** Runs the local activities the workflows schedule; absent: a task never waits for any. */
  localActivities?: LocalActivityLoop;
  /** Payload codecs: decode activations before the sandbox, encode its completions; absent: none. */
  codec?: WorkflowPayloadCodec;
  /** A run left the cache; `forced` unless its workflow finished (sdk-core's forced eviction). */
  onEvicted?: (forced: boolean) => void;
}

/** The sticky queue a handler names in its completions: the entity's own, or the process's shared one. */
export interface StickyBinding {
  /** The queue to name now; undefined makes the server clear the run's stickiness (a draining entity). */
  current(): { name: string; scheduleToStartTimeoutMs: number } | undefined;
  /** About to answer a task of `runId` naming `current()`: the next task of the run comes to us. */
  claim?(runId: string): void;
  /** `runId` left the cache. */
  release?(runId: string): void;
}

/**
 * Runs one workflow task: history → activations through the sandbox → commands, and answers the
 * server. Keeps runs in the sticky cache between tasks; evicts a run whenever its state can no
 * longer be trusted (a failure, a rejected answer, a finished workflow).
 */
export class WorkflowTaskHandler {
  /** Per run, the end of the tasks handed to it so far (see handle). */
  private readonly gates = new Map<string, Promise<void>>();
  /** Per run, the versioning behaviour its code declared in its last activation completion. */
  private readonly behaviors = new Map<string, temporal.api.enums.v1.VersioningBehavior>();
  /** Per cached run, its WorkflowExecutionStarted event time (epoch ms), for the end-to-end latency. */
  private readonly startTimes = new Map<string, number>();

  constructor(private readonly deps: WorkflowTaskHandlerDeps) {}

  /**
   * Tasks of one run are handled one after the other. The server may hand out a new task for a
   * run before the last one is answered (it drops a speculative update task and starts another
   * when updates pile up); deciding about the cache for it mid-task would evict the run under the
   * running task. The earlier answer then fails with NOT_FOUND, as on the official worker.
   */
  async handle(task: Task): Promise<void> {
    const runId = runIdOf(task);
    const mine = (this.gates.get(runId) ?? Promise.resolve()).then(() => this.handleInOrder(task));
    const gate = mine.then(
      () => undefined,
      () => undefined,
    );
    this.gates.set(runId, gate);
    try {
      await mine;
    } finally {
      if (this.gates.get(runId) === gate) this.gates.delete(runId);
    }
  }

  private async handleInOrder(task: Task): Promise<void> {
    const { cache } = this.deps;
    const runId = task.workflowExecution?.runId ?? '';
    let run = cache.get(runId);
    const firstEvent = Number(task.history?.events?.[0]?.eventId ?? 0);
    // A full history for a cached run means the server lost our stickiness: replay from scratch
    // rather than trust a state that may have diverged. Legacy queries reuse the cached state.
    // A partial history that does not follow our last task means someone else completed a task
    // of this run meanwhile (the run went back to its normal queue and came back): our state is
    // stale. Possible with any sticky queue, likelier with a shared one; replay from scratch.
    const stale = run !== undefined && firstEvent > 1 && Number(task.previousStartedEventId ?? 0) !== run.state.lastStartedEventId;
    if (run && (firstEvent === 1 || stale) && !task.query) {
      if (stale) this.deps.logger.debug('Cached run is behind the server; replaying', { runId, cached: run.state.lastStartedEventId, previousStartedEventId: String(task.previousStartedEventId) });
      await this.evict(runId);
      run = undefined;
    }
    const cacheHit = run !== undefined;
    const sticky = firstEvent > 1 ? (cacheHit ? 'hit' : 'miss') : undefined;
    if (!run) {
      for (const victim of cache.victimsForOneMore()) await this.evict(victim);
      run = {
        state: new WorkflowRunState({
          namespace: this.deps.connection.namespace,
          taskQueue: this.deps.taskQueue,
          runId,
          workflowId: task.workflowExecution?.workflowId ?? '',
          workflowType: task.workflowType?.name ?? '',
          serverSupportsSdkMetadata: this.deps.serverSupportsSdkMetadata,
          deploymentVersion: this.deps.versioning?.currentVersion(),
          failWorkflowOnNondeterminism: failsOnNondeterminism(this.deps.runCreate.workflowFailureErrorTypes, task.workflowType?.name ?? ''),
        }),
        tail: Promise.resolve(),
        busy: 0,
      };
      cache.set(runId, run);
    }
    const current = run;
    current.busy++;
    const done = current.tail.then(() => this.process(task, current, cacheHit, sticky));
    current.tail = done.then(
      () => undefined,
      () => undefined,
    );
    try {
      await done;
    } finally {
      current.busy--;
    }
  }

  /** Drops a run from the cache and its context from the sandbox. */
  async evict(runId: string, forced = true): Promise<void> {
    if (this.deps.cache.delete(runId)) this.deps.onEvicted?.(forced);
    this.startTimes.delete(runId);
    this.behaviors.delete(runId);
    this.deps.sticky?.release?.(runId);
    this.deps.localActivities?.evict(runId);
    await this.deps.sandbox.evict(runId).catch((err: unknown) => this.deps.logger.warn('Sandbox eviction failed', { runId, error: err }));
  }

  /** Evicts every cached run (drain, close). */
  async evictAll(): Promise<void> {
    for (const id of this.deps.cache.ids()) await this.evict(id);
  }

  /**
   * Evicts `run` unless a newer state of the same run has replaced it in the cache meanwhile (the
   * run's next task came with its full history while this one was finishing): that one, and the
   * local activities it runs, must stay.
   */
  private async evictRun(run: CachedRun, forced = true): Promise<void> {
    const cached = this.deps.cache.peek(run.state.runId);
    if (cached && cached !== run) return;
    await this.evict(run.state.runId, forced);
  }

  private async process(task: Task, run: CachedRun, cacheHit: boolean, sticky: WorkflowTaskReport['sticky']): Promise<void> {
    const started = performance.now();
    const { deps } = this;
    const { state } = run;
    const workflowType = task.workflowType?.name ?? '';
    let outcome: WorkflowTaskOutcome;
    let error: unknown;
    let replayMs: number | undefined;
    try {
      const events = await historyForTask(deps.connection, task, !cacheHit);
      const first = events[0];
      if (first?.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED && first.eventTime) this.startTimes.set(state.runId, tsToMs(first.eventTime));
      state.applyWorkflowTask({
        events,
        previousStartedEventId: task.previousStartedEventId ?? 0,
        startedEventId: task.startedEventId ?? 0,
        queries: task.queries,
        legacyQuery: task.query,
        messages: task.messages,
      });
      const replay: ReplayClock = { started: performance.now(), replayed: false };
      outcome = await this.runActivations(state, started, !task.query, replay);
      replayMs = replay.ms;
    } catch (err) {
      error = err;
      outcome = failOutcome(err);
    }
    let report: WorkflowTaskReport['outcome'] = 'none';
    let failure = outcome.kind === 'fail' ? describeFailedTask(outcome.cause, outcome.failure) : undefined;
    try {
      report = await this.answer(task, outcome, state);
    } catch (err) {
      error ??= err;
      report = 'failed';
      // Too large to send (a huge result): no retry can help; fail the task naming the cause.
      if (isMessageTooLarge(err)) failure = await failTaskTooLarge(deps.connection, task, deps.identity, err).catch(() => describeRefusedAnswer(err));
      failure ??= describeRefusedAnswer(err);
      // The server refused our answer (e.g. new events arrived): our state is now behind.
      await this.evictRun(run);
    }
    const closing = outcome.kind === 'complete' ? outcome.commands.find((c) => TERMINAL.has(c.commandType!)) : undefined;
    const finished = closing !== undefined;
    const workflowOutcome = closing && report === 'completed' ? TERMINAL.get(closing.commandType!) : undefined;
    const runStart = this.startTimes.get(state.runId);
    const workflowEndToEndMs = workflowOutcome && runStart !== undefined ? Math.max(0, Date.now() - runStart) : undefined;
    // With caching off (capacity 0) every run is dropped after its task and replayed next time.
    if (outcome.kind === 'fail' || finished || deps.cache.capacity === 0) {
      // A run whose workflow ended leaves the cache unforced, as in sdk-core.
      await this.evictRun(run, !(finished && outcome.kind !== 'fail'));
    }
    if (failure) logWorkflowTaskFailure(deps.logger, failure, task, error);
    if (outcome.kind === 'complete' && outcome.nondeterminism) {
      deps.logger.warn('Failing workflow due to nondeterminism error (workflowFailureErrorTypes)', { workflowType, workflowId: task.workflowExecution?.workflowId, runId: state.runId, message: outcome.nondeterminism });
    }
    deps.onTaskDone?.({ workflowType, runId: state.runId, outcome: report, durationMs: performance.now() - started, cacheHit, sticky, replayMs, workflowEndToEndMs, workflowOutcome, scheduleToStartMs: scheduleToStartMs(task), attachedQueries: outcome.kind === 'complete' ? Object.keys(outcome.queryResults).length : 0, error, failure });
  }

  private async runActivations(state: WorkflowRunState, startedAt: number, mayWait: boolean, replay: ReplayClock): Promise<WorkflowTaskOutcome> {
    const { deps } = this;
    const las = mayWait ? deps.localActivities : undefined;
    const deadline = LocalActivityLoop.heartbeatDeadline(startedAt, state);
    // Local activity results, each a new activation, until none holds the task (see local-activity-loop.ts).
    las?.applyArrived(state);
    for (;;) {
      const lost = await this.runPendingActivations(state, replay);
      if (lost) return lost;
      const step = await las?.next(state, deadline);
      if (step === 'heartbeat') return takeOutcome(state, true);
      if (step !== 'activate') return takeOutcome(state, false);
    }
  }

  /** Runs activations until none is pending; returns an outcome only when the sandbox lost the run. */
  private async runPendingActivations(state: WorkflowRunState, replay: ReplayClock): Promise<WorkflowTaskOutcome | undefined> {
    const { deps } = this;
    for (let activation = state.nextActivation(); activation; activation = state.nextActivation()) {
      if (activation.isReplaying) replay.replayed = true;
      else if (replay.replayed && replay.ms === undefined) replay.ms = performance.now() - replay.started;
      let completion: coresdk.workflow_completion.WorkflowActivationCompletion;
      try {
        const bytes = Activation.encode(deps.codec ? await deps.codec.decodeActivation(activation, state.options) : activation).finish();
        completion = Completion.decode(await deps.sandbox.activate({ runId: state.runId, bundleId: deps.bundleId, activation: bytes, info: deps.runCreate, sinks: deps.sinks }));
        await deps.codec?.encodeCompletion(completion, state.options);
      } catch (err) {
        // The sandbox lost the run (deadlock, thread crash) or a codec failed: the state awaits a completion that
        // will never come, so it cannot give an outcome. Fail the task; the run is evicted.
        return failOutcome(err);
      }
      // The workflow library states the behaviour of `setWorkflowOptions` on each successful completion.
      const behavior = completion.successful?.versioningBehavior;
      if (behavior) this.behaviors.set(state.runId, behavior);
      try {
        state.applyCompletion(completion);
        deps.localActivities?.dispatch(state);
      } catch {
        // The state has recorded the failure (nondeterminism…); takeTaskOutcome returns it.
        break;
      }
    }
    return undefined;
  }

  private async answer(task: Task, outcome: WorkflowTaskOutcome, state: WorkflowRunState): Promise<WorkflowTaskReport['outcome']> {
    const { deps } = this;
    const base = { taskToken: task.taskToken, namespace: deps.connection.namespace, identity: deps.identity };
    switch (outcome.kind) {
      case 'complete': {
        const sticky = deps.sticky?.current();
        // Claimed before the call: its answer can reach the server's next task before our await resumes.
        if (sticky) deps.sticky?.claim?.(runIdOf(task));
        const eager = requestEager(outcome.commands, deps.taskQueue, deps.eagerActivities);
        const response = await deps.connection.call('respondWorkflowTaskCompleted', {
          ...base,
          commands: outcome.commands,
          messages: outcome.messages,
          queryResults: outcome.queryResults,
          sdkMetadata: outcome.sdkMetadata,
          forceCreateNewWorkflowTask: outcome.forceCreateNewWorkflowTask,
          ...deps.versioning?.completionFields(this.behaviors.get(state.runId)),
          stickyAttributes: sticky
            ? {
                workerTaskQueue: { name: sticky.name, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_STICKY, normalName: deps.taskQueue },
                scheduleToStartTimeout: msNumberToTs(sticky.scheduleToStartTimeoutMs),
              }
            : undefined,
          // As the official core: we rewind a discarded speculative task (see resetHistoryEventId).
          capabilities: { discardSpeculativeWorkflowTaskWithEvents: true },
        }, { retryUntil: workflowTaskDeadline(task) }).catch((err: unknown) => {
          settleEager(eager, [], deps.eagerActivities);
          throw err;
        });
        settleEager(eager, response.activityTasks, deps.eagerActivities);
        if (Number(response.resetHistoryEventId ?? 0) > 0) state.discardSpeculativeTask(response.resetHistoryEventId);
        return 'completed';
      }
      case 'legacyQuery':
        await deps.connection.call('respondQueryTaskCompleted', { taskToken: task.taskToken, namespace: deps.connection.namespace, ...outcome.response });
        return 'query';
      case 'fail':
        // As the official SDK does: report only the first attempt, so a task failing on every
        // attempt does not flood history; later attempts time out and are retried by the server.
        if ((task.attempt ?? 1) <= 1) {
          await deps.connection.call('respondWorkflowTaskFailed', { ...base, cause: outcome.cause, failure: outcome.failure }).catch((err: unknown) => {
            if (!(err instanceof ServiceCallError && err.grpcCode === status.NOT_FOUND)) throw err;
          });
        }
        return 'failed';
      case 'none':
        return 'none';
    }
  }
}

function takeOutcome(state: WorkflowRunState, forceNewWorkflowTask: boolean): WorkflowTaskOutcome {
  try {
    return state.takeTaskOutcome({ forceNewWorkflowTask });
  } catch (err) {
    return failOutcome(err);
  }
}

/** Times a task's replay (sdk-core's `workflow_task_replay_latency`): to its first new activation after replayed ones. */
interface ReplayClock {
  readonly started: number;
  replayed: boolean;
  ms?: number;
}

function runIdOf(task: Task): string {
  return task.workflowExecution?.runId ?? '';
}

function scheduleToStartMs(task: Task): number | undefined {
  if (!task.scheduledTime || !task.startedTime) return undefined;
  return Math.max(0, tsToMs(task.startedTime) - tsToMs(task.scheduledTime));
}

function failOutcome(err: unknown): Extract<WorkflowTaskOutcome, { kind: 'fail' }> {
  const code = err instanceof RuntimeError ? err.code : 'UNEXPECTED';
  return {
    kind: 'fail',
    cause: FailedCause.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE,
    failure: {
      message: err instanceof Error ? err.message : String(err),
      stackTrace: err instanceof Error ? err.stack : undefined,
      source: 'TypeScriptSDK',
      applicationFailureInfo: { type: code, nonRetryable: false },
    },
    evict: true,
  };
}

/** As the official worker tells sdk-core: these names for the type (or `'*'`) make nondeterminism fail the run. */
function failsOnNondeterminism(byType: Readonly<Record<string, readonly string[]>> | undefined, workflowType: string): boolean {
  const names = [...(byType?.['*'] ?? []), ...(byType?.[workflowType] ?? [])];
  return names.some((n) => n === 'NondeterminismError' || n === 'DeterminismViolationError' || n === 'Error');
}
