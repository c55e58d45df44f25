/**
 * Public face of the command layer for one cached workflow run: what the official sdk-core does
 * between the server and the workflow library. Feed it each workflow task, run the activations it
 * hands out one at a time, give back each completion, then send what takeTaskOutcome() says.
 */
import * as proto from '../connection/proto.js';
import { IllegalStateError, RuntimeError } from '../errors.js';
import { sortJobs } from './activation-jobs.js';
import { isTerminal } from './command-dispatch.js';
import { NondeterminismError } from './errors.js';
import { CoreFlag, InternalFlags } from './internal-flags.js';
import { LEGACY_QUERY_ID, queryJob, toLegacyQueryResponse, toWorkflowQueryResult, type LegacyQueryResponse } from './queries.js';
import { CommandType, durationMs, toNumber, type ICommand, type IFailure, type IHistoryEvent, type Int64Like, type IWorkflowActivationCompletion, type IWorkflowCommand, type IWorkflowQuery, type IWorkflowQueryResult, type IWorkflowTaskCompletedMetadata } from './proto-types.js';
import type { IProtocolMessage } from './update-messages.js';
import type { LocalActivityRequests } from './machines/local-activity-book.js';
import type { LocalActivityResolution } from './machines/local-activity-machine.js';
import { WorkflowMachines } from './workflow-machines.js';

const Activation = proto.coresdk.workflow_activation.WorkflowActivation;
const FailedCause = proto.temporal.api.enums.v1.WorkflowTaskFailedCause;
export const EvictionReason = proto.coresdk.workflow_activation.RemoveFromCache.EvictionReason;

export interface WorkflowRunStateOptions {
  namespace: string;
  /** The task queue the worker polls; default for activities and continue-as-new. */
  taskQueue: string;
  runId: string;
  workflowId: string;
  workflowType: string;
  /** GetSystemInfo's `capabilities.sdkMetadata`: false means no SDK flag is ever used. @default true */
  serverSupportsSdkMetadata?: boolean;
  /** Written into WorkflowTaskCompleted metadata. @default 'temporal-typescript' */
  sdkName?: string;
  /** Version of the workflow library in the sandbox. @default '1.24.0' */
  sdkVersion?: string;
  /** This worker's version, shown as `currentDeploymentVersion` on tasks it runs new. */
  deploymentVersion?: { deploymentName: string; buildId: string };
  /**
   * Nondeterminism fails the workflow execution (a FailWorkflowExecution command) instead of the
   * workflow task: the official `workflowFailureErrorTypes` naming `NondeterminismError`,
   * `DeterminismViolationError` or `Error` for this workflow type.
   */
  failWorkflowOnNondeterminism?: boolean;
}

/** One workflow task as polled (PollWorkflowTaskQueueResponse), with every history page already fetched. */
export interface WorkflowTaskInput {
  /** History events of the task: the whole history on a cache miss, only the new ones for a cached run. */
  events: readonly IHistoryEvent[];
  previousStartedEventId: Int64Like;
  startedEventId: Int64Like;
  /** `queries` of the poll response, answered in query_results. */
  queries?: Record<string, IWorkflowQuery> | null;
  /** `query` of the poll response: a query-only task answered with RespondQueryTaskCompleted. */
  legacyQuery?: IWorkflowQuery | null;
  /** `messages` of the poll response: Workflow Update requests. */
  messages?: readonly IProtocolMessage[] | null;
}

/** What to send the server once a task's activations are all done. */
export type WorkflowTaskOutcome =
  | {
      kind: 'complete';
      /** RespondWorkflowTaskCompletedRequest fields (caller adds task token, identity, stickiness...). */
      commands: ICommand[];
      /** Protocol messages (update Acceptance / Rejection / Response) the commands refer to. */
      messages: IProtocolMessage[];
      queryResults: Record<string, IWorkflowQueryResult>;
      sdkMetadata: IWorkflowTaskCompletedMetadata;
      forceCreateNewWorkflowTask: boolean;
      /** Set when the only command fails the workflow for nondeterminism: the message, for the log. */
      nondeterminism?: string;
    }
  | { kind: 'fail'; cause: proto.temporal.api.enums.v1.WorkflowTaskFailedCause; failure: IFailure; evict: true }
  | { kind: 'legacyQuery'; response: LegacyQueryResponse }
  /** Pure replay (or a finished run): nothing to send. */
  | { kind: 'none' };

type Outstanding = 'normal' | 'query' | 'eviction';

export class WorkflowRunState {
  readonly runId: string;
  private readonly machines: WorkflowMachines;
  private readonly flags: InternalFlags;
  private outstanding: Outstanding | undefined;
  private pendingQueries: Array<{ id: string; query: IWorkflowQuery }> = [];
  private queryResults: Record<string, IWorkflowQueryResult> = {};
  private legacyQueryPending = false;
  private failure: Extract<WorkflowTaskOutcome, { kind: 'fail' | 'complete' }> | undefined;
  private taskInProgress = false;
  private evicted = false;

  constructor(readonly options: WorkflowRunStateOptions) {
    this.runId = options.runId;
    this.flags = new InternalFlags(options.serverSupportsSdkMetadata ?? true, options.sdkName ?? 'temporal-typescript', options.sdkVersion ?? '1.24.0');
    this.machines = new WorkflowMachines({
      workflowId: options.workflowId,
      taskQueue: options.taskQueue,
      flags: this.flags,
      namespace: options.namespace,
      runId: options.runId,
    });
  }

  /** True once the run's history holds its final event (completed, failed, continued-as-new...). */
  get isFinished(): boolean {
    return this.machines.haveSeenTerminalEvent;
  }

  /** Event id of the last WorkflowTaskStarted applied: a new full-history task must not be older. */
  get lastStartedEventId(): number {
    return this.machines.currentStartedEventId;
  }

  /** Starts a workflow task. Then call nextActivation() until it returns undefined. */
  applyWorkflowTask(task: WorkflowTaskInput): void {
    this.assertUsable();
    if (this.taskInProgress) throw new IllegalStateError(`Run ${this.runId} already has a workflow task in progress; take its outcome first.`);
    if (task.legacyQuery && task.queries && Object.keys(task.queries).length > 0) {
      throw new IllegalStateError('A workflow task cannot carry both a legacy query and attached queries.');
    }
    this.taskInProgress = true;
    this.queryResults = {};
    this.pendingQueries = Object.entries(task.queries ?? {}).map(([id, query]) => ({ id, query }));
    this.legacyQueryPending = !!task.legacyQuery;
    if (task.legacyQuery) this.pendingQueries.push({ id: LEGACY_QUERY_ID, query: task.legacyQuery });
    this.guard(() => {
      this.machines.receiveMessages(task.messages);
      this.machines.addHistory(task.events, toNumber(task.previousStartedEventId));
      this.applyTasksUntilJobs();
    });
  }

  /** The next activation for the sandbox, or undefined when the task is ready for takeTaskOutcome(). */
  nextActivation(): proto.coresdk.workflow_activation.WorkflowActivation | undefined {
    this.assertUsable();
    if (this.outstanding) throw new IllegalStateError(`Run ${this.runId} still awaits the completion of its last activation.`);
    if (!this.taskInProgress || this.failure) return undefined;
    if (this.machines.hasPendingJobs()) {
      this.outstanding = 'normal';
      return this.buildActivation(sortJobs(this.machines.takeJobs()), this.machines.replaying);
    }
    if (this.pendingQueries.length > 0) {
      this.outstanding = 'query';
      const jobs = this.pendingQueries.map((q) => queryJob(q.id, q.query));
      this.pendingQueries = [];
      // Query-only activations always count as replaying: they must not cause side effects.
      return this.buildActivation(jobs, true);
    }
    return undefined;
  }

  /**
   * Applies the sandbox's answer to the last activation. Throws NondeterminismError (or another
   * RuntimeError) when the code disagrees with history; takeTaskOutcome() then returns the failure.
   */
  applyCompletion(completion: IWorkflowActivationCompletion): void {
    this.assertUsable();
    const kind = this.outstanding;
    if (!kind) throw new IllegalStateError(`Run ${this.runId} has no activation awaiting completion.`);
    if (completion.runId && completion.runId !== this.runId) {
      throw new IllegalStateError(`Completion for run ${completion.runId} given to run ${this.runId}.`);
    }
    this.outstanding = undefined;
    if (kind === 'eviction') return;
    if (completion.failed) {
      const cause = completion.failed.forceCause || FailedCause.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE;
      this.fail(cause, completion.failed.failure ?? { message: 'Workflow activation failed' });
      return;
    }
    const commands = completion.successful?.commands ?? [];
    this.flags.addLangUsed(completion.successful?.usedInternalFlags ?? []);
    for (const c of commands) if (c.respondToQuery) this.queryResults[c.respondToQuery.queryId ?? ''] = toWorkflowQueryResult(c.respondToQuery);
    if (kind === 'query') return;
    this.guard(() => {
      this.machines.applyCommands(this.reorderTerminal(commands.filter((c) => !c.respondToQuery)));
      this.applyTasksUntilJobs();
    });
  }

  /** What the run asks of the local activity executor since the last call: start, cancel. */
  takeLocalActivityRequests(): LocalActivityRequests {
    return this.machines.localActivities.takeRequests();
  }

  /**
   * True when the task must not be answered yet: no activation is pending, but local activities
   * are, whose results will make the next one (see core/local-activity/local-activity-loop.ts).
   */
  get awaitsLocalActivities(): boolean {
    return this.taskInProgress && !this.failure && !this.outstanding && !this.machines.hasPendingJobs() && this.machines.localActivities.outstanding > 0;
  }

  /** A local activity's result: the next activation resolves it. Throws as applyCompletion does. */
  resolveLocalActivity(resolution: LocalActivityResolution): void {
    this.assertUsable();
    if (!this.taskInProgress) throw new IllegalStateError(`Run ${this.runId} has no workflow task in progress to resolve a local activity in.`);
    this.guard(() => this.machines.resolveLocalActivity(resolution));
  }

  /** The workflow task timeout the run was started with (the server's default: 10 s). */
  get workflowTaskTimeoutMs(): number {
    return durationMs(this.machines.workflowTaskTimeout as Parameters<typeof durationMs>[0]) || 10_000;
  }

  /**
   * Call once nextActivation() returned undefined: what to send for this workflow task.
   * `forceNewWorkflowTask` answers a task early while local activities still run (the workflow
   * task heartbeat): the server starts a new task at once, in which they go on.
   */
  takeTaskOutcome(opts: { forceNewWorkflowTask?: boolean } = {}): WorkflowTaskOutcome {
    this.assertUsable();
    if (this.outstanding) throw new IllegalStateError(`Run ${this.runId} still awaits the completion of its last activation.`);
    if (!this.taskInProgress) throw new IllegalStateError(`Run ${this.runId} has no workflow task in progress.`);
    if (!this.failure && (this.machines.hasPendingJobs() || this.pendingQueries.length > 0)) {
      throw new IllegalStateError(`Run ${this.runId} still has activations to run before the task can be answered.`);
    }
    this.taskInProgress = false;
    if (this.failure) return this.failure;
    const results = this.queryResults;
    this.queryResults = {};
    if (this.legacyQueryPending) {
      this.legacyQueryPending = false;
      const result = results[LEGACY_QUERY_ID] ?? {
        resultType: proto.temporal.api.enums.v1.QueryResultType.QUERY_RESULT_TYPE_FAILED,
        errorMessage: 'Workflow did not answer the query',
      };
      return { kind: 'legacyQuery', response: toLegacyQueryResponse(result) };
    }
    const shouldRespond = !this.machines.replaying && !this.machines.haveSeenTerminalEvent;
    const messages = this.machines.outgoingMessages();
    if (!shouldRespond && Object.keys(results).length === 0) return { kind: 'none' };
    return {
      kind: 'complete',
      commands: this.machines.outgoingCommands(),
      messages: shouldRespond ? messages : [],
      queryResults: results,
      sdkMetadata: this.flags.takeMetadataForCompletion(),
      forceCreateNewWorkflowTask: opts.forceNewWorkflowTask ?? false,
    };
  }

  /**
   * The server answered the completion with `resetHistoryEventId`: it discarded the speculative
   * task (an update rejected, nothing to record). Rewinds so the next task follows on.
   */
  discardSpeculativeTask(resetHistoryEventId: Int64Like): void {
    this.machines.discardSpeculativeTask(toNumber(resetHistoryEventId));
  }

  /**
   * The activation that tells the sandbox to drop this run (only job: removeFromCache). Run it,
   * ignore its completion, and forget this object.
   */
  evictionActivation(
    reason: proto.coresdk.workflow_activation.RemoveFromCache.EvictionReason = EvictionReason.CACHE_FULL,
    message = 'Evicted from the workflow cache',
  ): proto.coresdk.workflow_activation.WorkflowActivation {
    this.evicted = true;
    this.outstanding = undefined;
    return Activation.fromObject({
      runId: this.runId,
      historyLength: this.machines.lastProcessedEventId,
      jobs: [{ removeFromCache: { message, reason } }],
    });
  }

  private applyTasksUntilJobs(): void {
    // While replaying, tasks whose events ask nothing of the code are applied back to back.
    while (!this.machines.hasPendingJobs()) {
      const applied = this.machines.applyNextWorkflowTask();
      if (applied === 0 || !this.machines.replaying) break;
    }
  }

  /** Non-terminal commands first, then the first terminal one (or, for old histories, cut at it). */
  private reorderTerminal(commands: IWorkflowCommand[]): IWorkflowCommand[] {
    const moveTerminal = !this.machines.replaying || this.flags.tryUse(CoreFlag.MoveTerminalCommands, false);
    if (!moveTerminal) {
      const cut = commands.findIndex(isTerminal);
      return cut < 0 ? commands : commands.slice(0, cut + 1);
    }
    const terminal = commands.find(isTerminal);
    const rest = commands.filter((c) => !isTerminal(c));
    return terminal ? [...rest, terminal] : rest;
  }

  private buildActivation(jobs: proto.coresdk.workflow_activation.IWorkflowActivationJob[], isReplaying: boolean) {
    const m = this.machines;
    return Activation.fromObject({
      runId: this.runId,
      timestamp: m.currentTime,
      isReplaying,
      historyLength: m.lastProcessedEventId,
      jobs,
      availableInternalFlags: this.flags.langFlags(),
      historySizeBytes: m.historySizeBytes,
      continueAsNewSuggested: m.continueAsNewSuggested,
      lastSdkVersion: this.flags.lastSeenSdkVersion(),
      suggestContinueAsNewReasons: m.suggestContinueAsNewReasons,
      targetWorkerDeploymentVersionChanged: m.targetWorkerDeploymentVersionChanged,
      // As sdk-core: the version that ran the task then while replaying, else this worker's.
      deploymentVersionForCurrentTask: (isReplaying ? m.replayedTaskVersion : this.options.deploymentVersion) ?? null,
    } as Parameters<typeof Activation.fromObject>[0]);
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      const cause =
        err instanceof NondeterminismError
          ? FailedCause.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR
          : FailedCause.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE;
      const code = err instanceof RuntimeError ? err.code : 'UNEXPECTED';
      this.fail(cause, {
        message: err instanceof Error ? err.message : String(err),
        source: 'TypeScriptSDK',
        applicationFailureInfo: { type: code, nonRetryable: false },
      });
      throw err;
    }
  }

  private fail(cause: proto.temporal.api.enums.v1.WorkflowTaskFailedCause, failure: IFailure): void {
    // After a failure the run's state is unreliable: it must be evicted, and pending queries die with it.
    this.pendingQueries = [];
    if (cause === FailedCause.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR && this.options.failWorkflowOnNondeterminism) {
      // As sdk-core: the task completes with one command failing the run, the failure carrying
      // only the message (no type, retryable as any workflow failure); the run then ends.
      const message = failure.message ?? 'Nondeterminism error';
      this.failure = {
        kind: 'complete',
        commands: [{ commandType: CommandType.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION, failWorkflowExecutionCommandAttributes: { failure: { message, applicationFailureInfo: {} } } }],
        messages: [],
        queryResults: {},
        sdkMetadata: this.flags.takeMetadataForCompletion(),
        forceCreateNewWorkflowTask: false,
        nondeterminism: message,
      };
      return;
    }
    this.failure = { kind: 'fail', cause, failure, evict: true };
  }

  private assertUsable(): void {
    if (this.evicted) throw new IllegalStateError(`Run ${this.runId} was evicted; create a new WorkflowRunState.`);
  }
}

