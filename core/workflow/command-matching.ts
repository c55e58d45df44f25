/**
 * Replay's determinism check: each command the workflow code issues must match, in order, the
 * next command event in history — same kind, and same key (activity id and type, child workflow
 * id and type, timer id, marker name and patch id; for Nexus, endpoint, service and operation),
 * as the official core checks them (it checks no Nexus key). A mismatch
 * names the event id, what history holds and what the code did.
 */
import { NondeterminismError } from './errors.js';
import { describeEvent, patchMarkerOf } from './history-events.js';
import { CoreFlag, type InternalFlags } from './internal-flags.js';
import { localActivityMarkerOf } from './local-activity-marker.js';
import { decodePatchMarker } from './patch-marker.js';
import {
  CommandType,
  EventType,
  commandTypeName,
  eventTypeOf,
  toNumber,
  type ICommand,
  type IHistoryEvent,
  type Int64Like,
} from './proto-types.js';

const EVENT_FOR_COMMAND = new Map<number, number>([
  [CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED],
  [CommandType.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK, EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED],
  [CommandType.COMMAND_TYPE_START_TIMER, EventType.EVENT_TYPE_TIMER_STARTED],
  [CommandType.COMMAND_TYPE_CANCEL_TIMER, EventType.EVENT_TYPE_TIMER_CANCELED],
  [CommandType.COMMAND_TYPE_RECORD_MARKER, EventType.EVENT_TYPE_MARKER_RECORDED],
  [CommandType.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES, EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES],
  [CommandType.COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES, EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED],
  [CommandType.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION, EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED],
  [CommandType.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION, EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED],
  [CommandType.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION, EventType.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED],
  [CommandType.COMMAND_TYPE_SCHEDULE_NEXUS_OPERATION, EventType.EVENT_TYPE_NEXUS_OPERATION_SCHEDULED],
  [CommandType.COMMAND_TYPE_REQUEST_CANCEL_NEXUS_OPERATION, EventType.EVENT_TYPE_NEXUS_OPERATION_CANCEL_REQUESTED],
  [CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED],
  [CommandType.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED],
  [CommandType.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED],
  [CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW],
]);

/** A ProtocolMessage command is recorded as the event its message asks for; its machine checks which. */
const PROTOCOL_MESSAGE_EVENTS = new Set<number>([
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
]);

/** `StartTimer (timer id '1')` — for error messages. */
export function describeCommand(command: ICommand): string {
  const name = commandTypeName(command.commandType ?? 0);
  const c = command;
  let detail = '';
  if (c.scheduleActivityTaskCommandAttributes) {
    const a = c.scheduleActivityTaskCommandAttributes;
    detail = `activity id '${a.activityId}', type '${a.activityType?.name}'`;
  } else if (c.startTimerCommandAttributes) {
    detail = `timer id '${c.startTimerCommandAttributes.timerId}'`;
  } else if (c.cancelTimerCommandAttributes) {
    detail = `timer id '${c.cancelTimerCommandAttributes.timerId}'`;
  } else if (c.requestCancelActivityTaskCommandAttributes) {
    detail = `scheduled event ${toNumber(c.requestCancelActivityTaskCommandAttributes.scheduledEventId as Int64Like)}`;
  } else if (c.protocolMessageCommandAttributes) {
    detail = `message '${c.protocolMessageCommandAttributes.messageId}'`;
  } else if (c.recordMarkerCommandAttributes) {
    const patch = decodePatchMarker(c.recordMarkerCommandAttributes.details ?? {});
    const la = localActivityMarkerOf({ eventType: EventType.EVENT_TYPE_MARKER_RECORDED, markerRecordedEventAttributes: c.recordMarkerCommandAttributes })?.data;
    const what = patch ? `, patch '${patch.patchId}'` : la ? `, local activity ${la.seq}, type '${la.activityType}'` : '';
    detail = `marker '${c.recordMarkerCommandAttributes.markerName}'${what}`;
  } else if (c.startChildWorkflowExecutionCommandAttributes) {
    const a = c.startChildWorkflowExecutionCommandAttributes;
    detail = `workflow id '${a.workflowId}', type '${a.workflowType?.name}'`;
  } else if (c.signalExternalWorkflowExecutionCommandAttributes) {
    const a = c.signalExternalWorkflowExecutionCommandAttributes;
    detail = `signal '${a.signalName}' to workflow id '${a.execution?.workflowId}'`;
  } else if (c.requestCancelExternalWorkflowExecutionCommandAttributes) {
    detail = `workflow id '${c.requestCancelExternalWorkflowExecutionCommandAttributes.workflowId}'`;
  } else if (c.scheduleNexusOperationCommandAttributes) {
    const a = c.scheduleNexusOperationCommandAttributes;
    detail = `operation '${a.service}/${a.operation}' on endpoint '${a.endpoint}'`;
  } else if (c.requestCancelNexusOperationCommandAttributes) {
    detail = `scheduled event ${toNumber(c.requestCancelNexusOperationCommandAttributes.scheduledEventId as Int64Like)}`;
  }
  return detail ? `${name} (${detail})` : name;
}

/** Throws a NondeterminismError unless `event` is the record of `command`. */
export function checkCommandMatchesEvent(
  command: ICommand,
  event: IHistoryEvent,
  opts: { flags: InternalFlags; inLastTask: boolean },
): void {
  const mismatch = (why?: string): never => {
    throw new NondeterminismError(
      `Nondeterminism at ${describeEvent(event)}: history holds that event, but the workflow code ` +
        `issued ${describeCommand(command)}${why ? ` (${why})` : ''}. ` +
        'The workflow code changed incompatibly with this history; use patching to change running workflows.',
    );
  };
  if (command.commandType === CommandType.COMMAND_TYPE_PROTOCOL_MESSAGE) {
    if (!PROTOCOL_MESSAGE_EVENTS.has(eventTypeOf(event))) mismatch();
    return;
  }
  const expected = EVENT_FOR_COMMAND.get(command.commandType ?? 0);
  if (expected === undefined || expected !== eventTypeOf(event)) mismatch();

  if (command.scheduleActivityTaskCommandAttributes) {
    // Older histories (before core flag 1) were written without this check; replay them leniently.
    if (!opts.flags.tryUse(CoreFlag.IdAndTypeDeterminismChecks, opts.inLastTask)) return;
    const want = command.scheduleActivityTaskCommandAttributes;
    const got = event.activityTaskScheduledEventAttributes;
    if (got?.activityId !== want.activityId) mismatch('activity id differs');
    if (got?.activityType?.name !== want.activityType?.name) mismatch('activity type differs');
  } else if (command.startChildWorkflowExecutionCommandAttributes) {
    // As for activities: older histories were written without this check.
    if (!opts.flags.tryUse(CoreFlag.IdAndTypeDeterminismChecks, opts.inLastTask)) return;
    const want = command.startChildWorkflowExecutionCommandAttributes;
    const got = event.startChildWorkflowExecutionInitiatedEventAttributes;
    if (got?.workflowId !== want.workflowId) mismatch('child workflow id differs');
    if (got?.workflowType?.name !== want.workflowType?.name) mismatch('child workflow type differs');
  } else if (command.scheduleNexusOperationCommandAttributes) {
    // The official core checks only the event type here; the operation itself is the least a
    // replay must agree on, under the same flag as activity and child ids.
    if (!opts.flags.tryUse(CoreFlag.IdAndTypeDeterminismChecks, opts.inLastTask)) return;
    const want = command.scheduleNexusOperationCommandAttributes;
    const got = event.nexusOperationScheduledEventAttributes;
    if (got?.endpoint !== want.endpoint) mismatch('Nexus endpoint differs');
    if (got?.service !== want.service) mismatch('Nexus service differs');
    if (got?.operation !== want.operation) mismatch('Nexus operation differs');
  } else if (command.startTimerCommandAttributes) {
    if (event.timerStartedEventAttributes?.timerId !== command.startTimerCommandAttributes.timerId) mismatch('timer id differs');
  } else if (command.cancelTimerCommandAttributes) {
    if (event.timerCanceledEventAttributes?.timerId !== command.cancelTimerCommandAttributes.timerId) mismatch('timer id differs');
  } else if (command.recordMarkerCommandAttributes) {
    const want = command.recordMarkerCommandAttributes;
    if (event.markerRecordedEventAttributes?.markerName !== want.markerName) mismatch('marker name differs');
    const wantPatch = decodePatchMarker(want.details ?? {});
    if (wantPatch && patchMarkerOf(event)?.patchId !== wantPatch.patchId) mismatch('patch id differs');
  }
}
