/**
 * Turns each command of a workflow activation completion into a state machine and its API
 * command. One handler per command kind; a kind without a handler fails with
 * WORKFLOW_COMMAND_UNSUPPORTED, so adding a command kind is adding a handler and a machine,
 * nothing else.
 */
import * as proto from '../connection/proto.js';
import { startChildWorkflowCommand } from './child-workflow-commands.js';
import { annotationsOf } from './command-annotations.js';
import { NondeterminismError, UnsupportedCommandError } from './errors.js';
import { CoreFlag } from './internal-flags.js';
import { localActivityKey } from './local-activity-events.js';
import { ActivityMachine } from './machines/activity-machine.js';
import { CancelExternalMachine } from './machines/cancel-external-machine.js';
import { ChildWorkflowMachine } from './machines/child-workflow-machine.js';
import type { CommandMachine } from './machines/command-machine.js';
import { LocalActivityMachine, type LocalActivityContext } from './machines/local-activity-machine.js';
import { modifyPropertiesCommand, ModifyPropertiesMachine } from './machines/modify-properties-machine.js';
import { NexusOperationMachine } from './machines/nexus-operation-machine.js';
import { SignalExternalMachine } from './machines/signal-external-machine.js';
import { upsertSearchAttributesCommand, UpsertSearchAttributesMachine } from './machines/upsert-search-attributes-machine.js';
import { ChangeVersionUpsertMachine, PatchMachine } from './machines/patch-machine.js';
import { TimerMachine } from './machines/timer-machine.js';
import {
  CancelWorkflowMachine,
  CompleteWorkflowMachine,
  ContinueAsNewMachine,
  FailWorkflowMachine,
} from './machines/workflow-exit-machines.js';
import { CHANGE_VERSION_SEARCH_ATTRIBUTE, changeVersionSearchAttribute, encodePatchMarker, PATCH_MARKER_NAME } from './patch-marker.js';
import { CommandType, type ICommand, type IWorkflowCommand } from './proto-types.js';
import type { UpdateProtocol } from './update-protocol.js';

type Variant = NonNullable<IWorkflowCommand['variant']>;
const VersioningIntent = proto.coresdk.common.VersioningIntent;
const TaskQueueKind = proto.temporal.api.enums.v1.TaskQueueKind;

/** What the dispatcher needs from the run, beyond what machines get. */
export interface DispatchContext extends LocalActivityContext {
  /** Registers a new machine and queues its first API command (with the lang command's metadata). */
  addMachine(machine: CommandMachine, command: ICommand, source?: IWorkflowCommand): void;
  /** Machines by lang sequence number, per kind: `timer:1`, `activity:3`. */
  readonly bySeq: Map<string, CommandMachine>;
  /** The workflow's own task queue: the default for activities and continue-as-new. */
  readonly taskQueue: string;
  /** The run's namespace (a child's signal target) and id (named in external cancel reasons). */
  readonly namespace: string;
  readonly runId: string;
  /** Search attributes the code upserted so far: with the start's, what a continue-as-new carries. */
  readonly upsertedSearchAttributes: Record<string, proto.temporal.api.common.v1.IPayload>;
  /** Patches seen in history (peeked ahead) and whether a marker command was made for them. */
  readonly patches: Map<string, { commandCreated: boolean }>;
  /** Values a continue-as-new inherits when the code leaves them empty. */
  /** The run's Workflow Updates, which UpdateResponse commands answer. */
  readonly updates: UpdateProtocol;
  readonly startedInfo: { memo?: proto.temporal.api.common.v1.IMemo | null; retryPolicy?: proto.temporal.api.common.v1.IRetryPolicy | null; searchAttributes?: proto.temporal.api.common.v1.ISearchAttributes | null; workflowTaskTimeout?: proto.google.protobuf.IDuration | null };
}

type Handler = (command: IWorkflowCommand, ctx: DispatchContext) => void;

const handlers: Partial<Record<Variant, Handler>> = {
  startTimer(c, ctx) {
    const attrs = c.startTimer!;
    const machine = new TimerMachine(attrs.seq ?? 0);
    ctx.bySeq.set(`timer:${machine.seq}`, machine);
    ctx.addMachine(
      machine,
      {
        commandType: CommandType.COMMAND_TYPE_START_TIMER,
        startTimerCommandAttributes: { timerId: machine.timerId, startToFireTimeout: attrs.startToFireTimeout },
      },
      c,
    );
  },
  cancelTimer(c, ctx) {
    const timer = lookup(ctx, `timer:${c.cancelTimer!.seq}`, 'CancelTimer');
    if (!(timer instanceof TimerMachine)) throw wrongKind('CancelTimer', timer);
    timer.cancel(ctx);
  },
  scheduleActivity(c, ctx) {
    const a = c.scheduleActivity!;
    const machine = new ActivityMachine(a);
    ctx.bySeq.set(`activity:${machine.seq}`, machine);
    ctx.addMachine(machine, scheduleActivityCommand(a, ctx.taskQueue), c);
  },
  requestCancelActivity(c, ctx) {
    const activity = lookup(ctx, `activity:${c.requestCancelActivity!.seq}`, 'RequestCancelActivity');
    if (!(activity instanceof ActivityMachine)) throw wrongKind('RequestCancelActivity', activity);
    activity.cancel(ctx);
  },
  scheduleLocalActivity(c, ctx) {
    const machine = new LocalActivityMachine(c.scheduleLocalActivity!, ctx.replaying, ctx.currentTime, c.userMetadata);
    ctx.bySeq.set(localActivityKey(machine.seq), machine);
    machine.schedule(ctx);
  },
  requestCancelLocalActivity(c, ctx) {
    const la = lookup(ctx, localActivityKey(c.requestCancelLocalActivity!.seq ?? 0), 'RequestCancelLocalActivity');
    if (!(la instanceof LocalActivityMachine)) throw wrongKind('RequestCancelLocalActivity', la);
    la.cancel(ctx);
  },
  setPatchMarker(c, ctx) {
    setPatchMarker(c, ctx);
  },
  completeWorkflowExecution(c, ctx) {
    const result = c.completeWorkflowExecution!.result;
    ctx.addMachine(
      new CompleteWorkflowMachine(),
      {
        commandType: CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
        completeWorkflowExecutionCommandAttributes: { result: result ? { payloads: [result] } : null },
      },
      c,
    );
  },
  failWorkflowExecution(c, ctx) {
    ctx.addMachine(
      new FailWorkflowMachine(),
      {
        commandType: CommandType.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION,
        failWorkflowExecutionCommandAttributes: { failure: c.failWorkflowExecution!.failure },
      },
      c,
    );
  },
  cancelWorkflowExecution(c, ctx) {
    // The official core sends no details either: the server ignores them for this command.
    ctx.addMachine(
      new CancelWorkflowMachine(),
      { commandType: CommandType.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION, cancelWorkflowExecutionCommandAttributes: {} },
      c,
    );
  },
  continueAsNewWorkflowExecution(c, ctx) {
    ctx.addMachine(new ContinueAsNewMachine(), continueAsNewCommand(c.continueAsNewWorkflowExecution!, ctx), c);
  },
  startChildWorkflowExecution(c, ctx) {
    const a = c.startChildWorkflowExecution!;
    const machine = new ChildWorkflowMachine(a, annotationsOf(c));
    ctx.bySeq.set(`child:${machine.seq}`, machine);
    ctx.addMachine(machine, startChildWorkflowCommand(a, useCompatibleVersion(a.versioningIntent, a.taskQueue, ctx.taskQueue)), c);
  },
  cancelChildWorkflowExecution(c, ctx) {
    const { childWorkflowSeq, reason } = c.cancelChildWorkflowExecution!;
    const child = lookup(ctx, `child:${childWorkflowSeq}`, 'CancelChildWorkflowExecution');
    if (!(child instanceof ChildWorkflowMachine)) throw wrongKind('CancelChildWorkflowExecution', child);
    child.cancel(ctx, reason ?? '', annotationsOf(c));
  },
  signalExternalWorkflowExecution(c, ctx) {
    const machine = new SignalExternalMachine(c.signalExternalWorkflowExecution!);
    ctx.bySeq.set(`signal:${machine.seq}`, machine);
    ctx.addMachine(machine, machine.command(ctx.namespace), c);
  },
  cancelSignalWorkflow(c, ctx) {
    const signal = lookup(ctx, `signal:${c.cancelSignalWorkflow!.seq}`, 'CancelSignalWorkflow');
    if (!(signal instanceof SignalExternalMachine)) throw wrongKind('CancelSignalWorkflow', signal);
    signal.cancel(ctx);
  },
  requestCancelExternalWorkflowExecution(c, ctx) {
    const machine = CancelExternalMachine.requestedByWorkflow(c.requestCancelExternalWorkflowExecution!, ctx);
    ctx.addMachine(machine, machine.command(), c);
  },
  upsertWorkflowSearchAttributes(c, ctx) {
    ctx.addMachine(new UpsertSearchAttributesMachine(), upsertSearchAttributesCommand(c.upsertWorkflowSearchAttributes!, ctx), c);
  },
  modifyWorkflowProperties(c, ctx) {
    ctx.addMachine(new ModifyPropertiesMachine(), modifyPropertiesCommand(c.modifyWorkflowProperties!), c);
  },
  updateResponse(c, ctx) {
    ctx.updates.respond(c.updateResponse!, ctx);
  },
  scheduleNexusOperation(c, ctx) {
    const machine = new NexusOperationMachine(c.scheduleNexusOperation!);
    ctx.bySeq.set(`nexus:${machine.seq}`, machine);
    ctx.addMachine(machine, machine.command(), c);
  },
  requestCancelNexusOperation(c, ctx) {
    const operation = lookup(ctx, `nexus:${c.requestCancelNexusOperation!.seq}`, 'RequestCancelNexusOperation');
    if (!(operation instanceof NexusOperationMachine)) throw wrongKind('RequestCancelNexusOperation', operation);
    operation.cancel(ctx);
  },
};

/** Applies one lang command to the run. */
export function dispatchCommand(command: IWorkflowCommand, ctx: DispatchContext): void {
  const variant = variantOf(command);
  const handler = handlers[variant];
  if (!handler) throw new UnsupportedCommandError(variant);
  handler(command, ctx);
  // Local activities still running cannot matter once the run ends.
  if (isTerminal(command)) ctx.localActivities.indicateTerminating();
}

/** Works for decoded messages (`variant` getter) and plain objects alike. */
export function variantOf(command: IWorkflowCommand): Variant {
  if (command.variant) return command.variant;
  const key = Object.keys(command).find(
    (k) => k !== 'userMetadata' && k !== 'eventGroupMarkers' && (command as Record<string, unknown>)[k] != null,
  );
  return (key ?? 'unknown') as Variant;
}

/** Terminal commands end the run; the completion preprocessing moves them last. */
export function isTerminal(command: IWorkflowCommand): boolean {
  const v = variantOf(command);
  return (
    v === 'completeWorkflowExecution' ||
    v === 'failWorkflowExecution' ||
    v === 'cancelWorkflowExecution' ||
    v === 'continueAsNewWorkflowExecution'
  );
}

function setPatchMarker(c: IWorkflowCommand, ctx: DispatchContext): void {
  const { patchId = '', deprecated = false } = c.setPatchMarker!;
  const seen = ctx.patches.get(patchId ?? '');
  // One marker per patch id for the whole run, however often the code asks.
  if (seen?.commandCreated) return;
  // Replaying and history has no marker: the original run took the old branch; nothing to match.
  if (ctx.replaying && !seen) return;
  const machine = new PatchMachine(patchId ?? '');
  ctx.addMachine(
    machine,
    {
      commandType: CommandType.COMMAND_TYPE_RECORD_MARKER,
      recordMarkerCommandAttributes: { markerName: PATCH_MARKER_NAME, details: encodePatchMarker(patchId ?? '', !!deprecated) },
    },
    c,
  );
  ctx.patches.set(patchId ?? '', { commandCreated: true });
  if (!ctx.flags.tryUse(CoreFlag.UpsertSearchAttributeOnPatch, !ctx.replaying)) return;
  const ids = [...ctx.patches].filter(([, p]) => p.commandCreated).map(([id]) => id);
  const value = changeVersionSearchAttribute(ids);
  if (!value) return;
  ctx.addMachine(new ChangeVersionUpsertMachine(), {
    commandType: CommandType.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
    upsertWorkflowSearchAttributesCommandAttributes: {
      searchAttributes: { indexedFields: { [CHANGE_VERSION_SEARCH_ATTRIBUTE]: value } },
    },
  });
}

function scheduleActivityCommand(a: proto.coresdk.workflow_commands.IScheduleActivity, workflowTaskQueue: string): ICommand {
  const taskQueue = a.taskQueue || workflowTaskQueue;
  return {
    commandType: CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
    scheduleActivityTaskCommandAttributes: {
      activityId: a.activityId,
      activityType: { name: a.activityType },
      taskQueue: { name: taskQueue, kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      header: { fields: a.headers ?? {} },
      input: { payloads: a.arguments ?? [] },
      scheduleToCloseTimeout: a.scheduleToCloseTimeout,
      scheduleToStartTimeout: a.scheduleToStartTimeout,
      startToCloseTimeout: a.startToCloseTimeout,
      heartbeatTimeout: a.heartbeatTimeout,
      retryPolicy: a.retryPolicy,
      // Marks the command as *eligible* for eager execution (the code did not opt out); the task
      // handler keeps the flag only where it reserved an activity slot (eager-activities.ts).
      requestEagerExecution: !a.doNotEagerlyExecute,
      useWorkflowBuildId: useCompatibleVersion(a.versioningIntent, a.taskQueue, workflowTaskQueue),
      priority: a.priority,
    },
  };
}

function continueAsNewCommand(
  c: proto.coresdk.workflow_commands.IContinueAsNewWorkflowExecution,
  ctx: DispatchContext,
): ICommand {
  const memo = c.memo && Object.keys(c.memo).length > 0 ? { fields: c.memo } : ctx.startedInfo.memo;
  const headers = c.headers && Object.keys(c.headers).length > 0 ? { fields: c.headers } : null;
  return {
    commandType: CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION,
    continueAsNewWorkflowExecutionCommandAttributes: {
      workflowType: { name: c.workflowType },
      taskQueue: { name: c.taskQueue || ctx.taskQueue, kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      input: { payloads: c.arguments ?? [] },
      workflowRunTimeout: c.workflowRunTimeout,
      workflowTaskTimeout: c.workflowTaskTimeout,
      memo: memo ?? null,
      header: headers,
      retryPolicy: c.retryPolicy ?? ctx.startedInfo.retryPolicy ?? null,
      searchAttributes: c.searchAttributes ?? currentSearchAttributes(ctx),
      inheritBuildId: useCompatibleVersion(c.versioningIntent, c.taskQueue, ctx.taskQueue),
      initialVersioningBehavior: c.initialVersioningBehavior,
      backoffStartInterval: c.backoffStartInterval,
    },
  };
}

/** The start's search attributes with the code's upserts over them, as the official core tracks them. */
function currentSearchAttributes(ctx: DispatchContext): proto.temporal.api.common.v1.ISearchAttributes | null {
  const current = { ...(ctx.startedInfo.searchAttributes?.indexedFields ?? {}), ...ctx.upsertedSearchAttributes };
  return Object.keys(current).length > 0 ? { indexedFields: current } : null;
}

/** Unspecified intent stays on compatible builds when the target is the workflow's own queue. */
function useCompatibleVersion(intent: number | null | undefined, target: string | null | undefined, own: string): boolean {
  if (intent === VersioningIntent.COMPATIBLE) return true;
  if (intent === VersioningIntent.DEFAULT) return false;
  return !target || target === own;
}

function lookup(ctx: DispatchContext, key: string, what: string): CommandMachine {
  const machine = ctx.bySeq.get(key);
  if (!machine) throw new NondeterminismError(`${what} refers to ${key.replace(':', ' ')}, which the workflow never started.`);
  return machine;
}

function wrongKind(what: string, machine: CommandMachine): NondeterminismError {
  return new NondeterminismError(`${what} refers to ${machine.label}, which is not the kind of operation it cancels.`);
}

