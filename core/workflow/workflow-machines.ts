/**
 * The event loop of one workflow run: applies history one workflow-task sequence at a time,
 * routes each event to the machine that owns it, matches command events against the commands the
 * code issued, and collects the activation jobs. Pure and synchronous: no I/O, no clock.
 */
import { cancelWorkflowJob, initializeWorkflowJob, signalJob, updateRandomSeedJob } from './activation-jobs.js';
import { annotationsOf, withAnnotations } from './command-annotations.js';
import { dispatchCommand, type DispatchContext } from './command-dispatch.js';
import { checkCommandMatchesEvent, describeCommand } from './command-matching.js';
import { HistoryError, NondeterminismError } from './errors.js';
import { HistoryBuffer } from './history-buffer.js';
import { describeEvent, initiatingEventId, isCommandEvent, isFinalExecutionEvent, isNotActedOn, patchMarkerOf } from './history-events.js';
import type { InternalFlags } from './internal-flags.js';
import { localActivitiesOnNewTask, readLocalActivityMarkersAhead, resolveLocalActivity, takeLocalActivityMarker } from './local-activity-events.js';
import type { CommandMachine } from './machines/command-machine.js';
import { LocalActivityBook } from './machines/local-activity-book.js';
import type { LocalActivityResolution } from './machines/local-activity-machine.js';
import { PatchMachine } from './machines/patch-machine.js';
import { WorkflowTaskMachine } from './machines/workflow-task-machine.js';
import { CHANGE_VERSION_SEARCH_ATTRIBUTE } from './patch-marker.js';
import { UpdateProtocol } from './update-protocol.js';
import type { IProtocolMessage } from './update-messages.js';
import {
  compareTimestamps,
  EventType,
  eventIdOf,
  eventTypeOf,
  toNumber,
  type ICommand,
  type IHistoryEvent,
  type Int64Like,
  type ITimestamp,
  type IWorkflowActivationJob,
  type IWorkflowCommand,
} from './proto-types.js';

interface QueuedCommand {
  machine: CommandMachine;
  command: ICommand;
}

export interface WorkflowMachinesOptions {
  workflowId: string;
  taskQueue: string;
  flags: InternalFlags;
  /** @default '' */
  namespace?: string;
  /** @default '' */
  runId?: string;
}

export class WorkflowMachines {
  private readonly history = new HistoryBuffer();
  private readonly jobs: IWorkflowActivationJob[] = [];
  /** Commands sent (or about to be) whose history event has not been seen yet, in order. */
  private queue: QueuedCommand[] = [];
  /** Machines by the id of the event that recorded their command, for the events that follow. */
  private readonly byEventId = new Map<number, CommandMachine | WorkflowTaskMachine>();
  private readonly bySeq = new Map<string, CommandMachine>();
  private readonly patches = new Map<string, { commandCreated: boolean }>();
  private readonly upsertedSearchAttributes: DispatchContext['upsertedSearchAttributes'] = {};
  readonly localActivities = new LocalActivityBook();
  private startedInfo: DispatchContext['startedInfo'] = {};
  /** Commands of the last completed task still waiting for their events (see checkAllRecorded). */
  private awaitingRecords: Set<QueuedCommand> | undefined;
  /** Workflow Updates: requests to deliver, their machines, the messages to send back. */
  private readonly updates = new UpdateProtocol(() => this.dispatchContext());

  private previousStartedEventId = 0;
  private lastStartedInSequence = 0;
  private inLastTask = false;

  replaying = false;
  haveSeenTerminalEvent = false;
  lastProcessedEventId = 0;
  currentStartedEventId = 0;
  currentTime: ITimestamp | undefined;
  historySizeBytes = 0;
  continueAsNewSuggested = false;
  /**
   * The worker version recorded on the WorkflowTaskCompleted of the task being replayed: what
   * `workflowInfo().currentDeploymentVersion` shows during replay (the version that ran it then).
   */
  replayedTaskVersion: { deploymentName: string; buildId: string } | undefined;
  suggestContinueAsNewReasons: number[] = [];
  targetWorkerDeploymentVersionChanged = false;

  constructor(private readonly opts: WorkflowMachinesOptions) {}

  get flags(): InternalFlags {
    return this.opts.flags;
  }

  /** The run's workflow task timeout, from WorkflowExecutionStarted. */
  get workflowTaskTimeout(): DispatchContext['startedInfo']['workflowTaskTimeout'] {
    return this.startedInfo.workflowTaskTimeout;
  }

  /** New events from the server; `previousStartedEventId` as in PollWorkflowTaskQueueResponse. */
  addHistory(events: readonly IHistoryEvent[], previousStartedEventId: number): void {
    this.history.append(events.filter((e) => eventIdOf(e) > this.lastProcessedEventId));
    this.previousStartedEventId = previousStartedEventId;
    this.replaying = previousStartedEventId > 0;
  }

  hasPendingJobs(): boolean {
    return this.jobs.length > 0;
  }

  takeJobs(): IWorkflowActivationJob[] {
    return this.jobs.splice(0, this.jobs.length);
  }

  pushJob(job: IWorkflowActivationJob): void {
    this.jobs.push(job);
  }

  /** A local activity's result from the executor: a ResolveActivity job and its marker command. */
  resolveLocalActivity(resolution: LocalActivityResolution): void {
    resolveLocalActivity(resolution, this.dispatchContext());
  }

  /** The poll response's protocol messages (update requests), delivered as history is applied. */
  receiveMessages(messages: readonly IProtocolMessage[] | null | undefined): void {
    this.updates.receive(messages);
  }

  /** Protocol messages to send with the current workflow task completion. */
  outgoingMessages(): IProtocolMessage[] {
    return this.updates.takeOutgoing();
  }

  /**
   * The server discarded the speculative task just answered (an update rejected with nothing else
   * to record): its WorkflowTaskScheduled/Started never reach history, and the next task reuses
   * their ids. Rewinds to `lastStartedEventId`, the task before it.
   */
  discardSpeculativeTask(lastStartedEventId: number): void {
    this.currentStartedEventId = lastStartedEventId;
    this.lastProcessedEventId -= 2;
    for (const id of this.byEventId.keys()) if (id > this.lastProcessedEventId) this.byEventId.delete(id);
  }

  /** Applies lang commands (already reordered by the caller) to machines. */
  applyCommands(commands: readonly IWorkflowCommand[]): void {
    const ctx = this.dispatchContext();
    for (const command of commands) dispatchCommand(command, ctx);
    // A command cancelled before it was ever sent is simply never sent.
    this.queue = this.queue.filter((q) => !q.machine.cancelledBeforeSent);
  }

  /** The API commands to send with the current workflow task completion. */
  outgoingCommands(): ICommand[] {
    if (!this.replaying) this.flags.recordAllCore();
    return this.queue.filter((q) => !q.machine.isFinal && !q.machine.cancelledBeforeSent).map((q) => q.command);
  }

  /** Applies the next whole workflow-task sequence from history; returns how many events it held. */
  applyNextWorkflowTask(): number {
    if (this.haveSeenTerminalEvent) {
      this.replaying = false;
      return 0;
    }
    const sequence = this.history.take(this.lastProcessedEventId);
    if (!sequence) {
      this.replaying = false;
      return 0;
    }
    const { events, isLast } = sequence;
    this.inLastTask = isLast;
    for (const e of events) this.learnFlags(e);
    const lastEvent = events.at(-1)!;
    const following = this.history.peekNextCompleted(eventIdOf(lastEvent) + 1);
    if (following) this.learnFlags(following);
    this.replayedTaskVersion = versionOfCompleted(following?.workflowTaskCompletedEventAttributes);
    if (eventTypeOf(lastEvent) === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED) this.lastStartedInSequence = eventIdOf(lastEvent);

    let skipNext = false;
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!;
      const id = eventIdOf(event);
      if (id !== this.lastProcessedEventId + 1) {
        throw new HistoryError(`History is out of order: event ${id} follows event ${this.lastProcessedEventId}.`);
      }
      // Replay ends at the first event of the newest task that the code has not produced itself.
      const type = eventTypeOf(event);
      if (this.replaying && isLast && id > this.previousStartedEventId && type !== EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED && !isCommandEvent(event)) {
        this.replaying = false;
      }
      this.updates.deliverBefore(id);
      if (skipNext) skipNext = false;
      else skipNext = this.handleEvent(event, events[i + 1]);
      this.lastProcessedEventId = id;
    }
    if (isLast) this.updates.deliverRest();
    this.checkAllRecorded(undefined);
    this.announcePatchesAhead();
    this.updates.announceAhead(this.history.peek());
    return events.length;
  }

  private learnFlags(event: IHistoryEvent): void {
    const completed = event.workflowTaskCompletedEventAttributes;
    if (completed) this.flags.addFromCompleted(completed.sdkMetadata);
  }

  /**
   * Patch markers the code will reach in the next task are announced now, so `patched()` answers
   * true in the same activation it did originally.
   */
  private announcePatchesAhead(): void {
    for (const e of this.history.peek()) {
      const patch = patchMarkerOf(e);
      if (!patch) continue;
      if (!this.patches.has(patch.patchId)) this.patches.set(patch.patchId, { commandCreated: false });
      this.jobs.push({ notifyHasPatch: { patchId: patch.patchId } });
    }
    readLocalActivityMarkersAhead(this.history.peek(), this.dispatchContext());
  }

  /** Returns true when the following event must be skipped too. */
  private handleEvent(event: IHistoryEvent, next: IHistoryEvent | undefined): boolean {
    if (isFinalExecutionEvent(event)) this.haveSeenTerminalEvent = true;
    const type = eventTypeOf(event);
    if (isCommandEvent(event)) return this.handleCommandEvent(event, next);
    this.checkAllRecorded(event);
    if (type === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED || type === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT) {
      if (next) throw new HistoryError(`History continues after the run ended at ${describeEvent(event)}.`);
      return false;
    }
    if (type === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED) this.noteTaskStarted(event);
    const initiator = initiatingEventId(event);
    if (initiator !== undefined) {
      const owner = this.byEventId.get(initiator);
      if (!owner) {
        throw new NondeterminismError(
          `History ${describeEvent(event)} refers to event ${initiator}, but the workflow code started no matching operation.`,
        );
      }
      if (owner instanceof WorkflowTaskMachine) owner.onEvent(event);
      else owner.onEvent(event, this.dispatchContext());
      if (type === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) this.awaitingRecords = new Set(this.queue);
      return false;
    }
    this.handleStandaloneEvent(event);
    return false;
  }

  private handleStandaloneEvent(event: IHistoryEvent): void {
    switch (eventTypeOf(event)) {
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED: {
        const a = event.workflowExecutionStartedEventAttributes;
        this.startedInfo = { memo: a?.memo, retryPolicy: a?.retryPolicy, searchAttributes: a?.searchAttributes, workflowTaskTimeout: a?.workflowTaskTimeout };
        // Gives queries that arrive before the first task a workflow time.
        if (event.eventTime) this.advanceTime(event.eventTime);
        this.jobs.push(initializeWorkflowJob(event, this.opts.workflowId));
        return;
      }
      case EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
        this.byEventId.set(
          eventIdOf(event),
          new WorkflowTaskMachine(this.lastStartedInSequence, {
            taskStarted: (startedEventId, time) => {
              this.currentStartedEventId = startedEventId;
              this.advanceTime(time);
              if (!this.replaying) localActivitiesOnNewTask(this.dispatchContext());
            },
            runReset: (newRunId) => this.jobs.push(updateRandomSeedJob(newRunId)),
          }),
        );
        return;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
        this.jobs.push(signalJob(event));
        return;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED:
        this.jobs.push(cancelWorkflowJob(event));
        return;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ADMITTED:
        this.updates.onAdmitted(event);
        return;
      default:
        // Events the server marks as safe to skip (newer features) need no handling here.
        if (event.workerMayIgnore || isNotActedOn(event)) return;
        throw new HistoryError(`History ${describeEvent(event)} belongs to a feature this runtime does not support yet.`);
    }
  }

  private noteTaskStarted(event: IHistoryEvent): void {
    const a = event.workflowTaskStartedEventAttributes;
    this.historySizeBytes = toNumber(a?.historySizeBytes as Int64Like);
    this.continueAsNewSuggested = a?.suggestContinueAsNew ?? false;
    this.suggestContinueAsNewReasons = [...((a as { suggestContinueAsNewReasons?: number[] } | undefined)?.suggestContinueAsNewReasons ?? [])];
    this.targetWorkerDeploymentVersionChanged =
      (a as { targetWorkerDeploymentVersionChanged?: boolean } | undefined)?.targetWorkerDeploymentVersionChanged ?? false;
  }

  private handleCommandEvent(event: IHistoryEvent, next: IHistoryEvent | undefined): boolean {
    // On replay a local activity's marker stands for no command of ours: its machine takes it.
    if (takeLocalActivityMarker(event, this.dispatchContext())) return false;
    const patch = patchMarkerOf(event);
    for (;;) {
      const front = this.queue[0];
      const frontPatch = front?.machine instanceof PatchMachine ? front.machine : undefined;
      if (patch) {
        // A deprecated marker may stand in history without the code asking for it any more.
        if (patch.deprecated && frontPatch?.patchId !== patch.patchId) return isChangeVersionUpsert(next);
        if (!frontPatch && !patch.deprecated) {
          throw new NondeterminismError(
            `Nondeterminism at ${describeEvent(event)}: history records patch '${patch.patchId}', but the workflow code ` +
              `did not call patched('${patch.patchId}') there` +
              (front ? `; it issued ${describeCommand(front.command)} instead.` : '.'),
          );
        }
      } else if (frontPatch) {
        // A patch the code asked for on replay that the original run never recorded.
        this.queue.shift();
        continue;
      }
      const entry = this.queue.shift();
      if (!entry) {
        throw new NondeterminismError(
          `Nondeterminism at ${describeEvent(event)}: history holds that event, but the workflow code issued no command for it.`,
        );
      }
      if (entry.machine.cancelledBeforeSent) continue;
      checkCommandMatchesEvent(entry.command, event, { flags: this.flags, inLastTask: this.inLastTask });
      entry.machine.onCommandRecorded(event, entry.command, this.dispatchContext());
      this.awaitingRecords?.delete(entry);
      if (!entry.machine.isFinal) this.byEventId.set(eventIdOf(event), entry.machine);
      return false;
    }
  }

  /**
   * After a WorkflowTaskCompleted, history holds one event per command of that task. Once a
   * non-command event (or the end of the sequence) comes, any command of that task still without
   * its event was not issued by the original run.
   */
  private checkAllRecorded(after: IHistoryEvent | undefined): void {
    const awaiting = this.awaitingRecords;
    if (!awaiting) return;
    this.awaitingRecords = undefined;
    const missing = this.queue.find((q) => awaiting.has(q) && !(q.machine instanceof PatchMachine));
    if (!missing) return;
    const where = after ? `history continues with ${describeEvent(after)}` : `history ends at event ${this.lastProcessedEventId}`;
    throw new NondeterminismError(
      `Nondeterminism after workflow task completed event: the workflow code issued ${describeCommand(missing.command)}, ` +
        `but ${where} and holds no matching command event.`,
    );
  }

  private advanceTime(time: ITimestamp): void {
    if (!this.currentTime || compareTimestamps(this.currentTime, time) < 0) this.currentTime = time;
  }

  private dispatchContext(): DispatchContext {
    // Built per use so machines always see the current replaying flag.
    return {
      pushJob: (job) => this.jobs.push(job),
      issueCommand: (machine, command) => this.queue.push({ machine, command }),
      // The lang command's user metadata (summary, event group) goes onto the API command.
      addMachine: (machine, command, source) => this.queue.push({ machine, command: source ? withAnnotations(command, annotationsOf(source)) : command }),
      flags: this.flags,
      replaying: this.replaying,
      inLastTask: this.inLastTask,
      bySeq: this.bySeq,
      taskQueue: this.opts.taskQueue,
      namespace: this.opts.namespace ?? '',
      runId: this.opts.runId ?? '',
      upsertedSearchAttributes: this.upsertedSearchAttributes,
      patches: this.patches,
      startedInfo: this.startedInfo,
      updates: this.updates,
      localActivities: this.localActivities,
      currentTime: this.currentTime,
      advanceTime: (time) => this.advanceTime(time),
    };
  }
}

function isChangeVersionUpsert(event: IHistoryEvent | undefined): boolean {
  const fields = event?.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields;
  return !!fields && CHANGE_VERSION_SEARCH_ATTRIBUTE in fields;
}

/**
 * The version a WorkflowTaskCompleted event names: the deployment version, or the older
 * deployment and build-id stamps, as the server records whichever the worker sent.
 */
function versionOfCompleted(a: IHistoryEvent['workflowTaskCompletedEventAttributes']): { deploymentName: string; buildId: string } | undefined {
  if (!a) return undefined;
  const v = a.deploymentVersion;
  if (v?.buildId) return { deploymentName: v.deploymentName ?? '', buildId: v.buildId };
  const buildId = a.workerVersion?.buildId || a.deployment?.buildId;
  return buildId ? { deploymentName: a.workerDeploymentName || a.deployment?.seriesName || '', buildId } : undefined;
}
