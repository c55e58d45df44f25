/**
 * What this layer needs to know about a history event: is it the record of a command, which
 * command started it, does it end the run, and how to name it in an error message.
 */
import { localActivityMarkerOf } from './local-activity-marker.js';
import { decodePatchMarker, PATCH_MARKER_NAME } from './patch-marker.js';
import { EventType, eventIdOf, eventTypeName, eventTypeOf, toNumber, type IHistoryEvent, type Int64Like } from './proto-types.js';

/** Events the server writes as the direct result of a command in a workflow task completion. */
const COMMAND_EVENTS = new Set<number>([
  EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
  EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED,
  EventType.EVENT_TYPE_MARKER_RECORDED,
  EventType.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
  EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
  EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED,
  EventType.EVENT_TYPE_TIMER_CANCELED,
  EventType.EVENT_TYPE_TIMER_STARTED,
  EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
  EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED,
  EventType.EVENT_TYPE_NEXUS_OPERATION_SCHEDULED,
  EventType.EVENT_TYPE_NEXUS_OPERATION_CANCEL_REQUESTED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_REJECTED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
]);

const FINAL_EVENTS = new Set<number>([
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
]);

/**
 * Events the worker has nothing to do for: options changed from outside (versioning override,
 * attached requests), properties changed from outside, pauses. A run moved from another worker
 * may carry them anywhere in its history, with or without the server's `workerMayIgnore`.
 */
const NOT_ACTED_ON = new Set<number>([
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_OPTIONS_UPDATED,
  EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED_EXTERNALLY,
  EventType.EVENT_TYPE_ACTIVITY_PROPERTIES_MODIFIED_EXTERNALLY,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_PAUSED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UNPAUSED,
]);

export function isNotActedOn(event: IHistoryEvent): boolean {
  return NOT_ACTED_ON.has(eventTypeOf(event));
}

export function isCommandEvent(event: IHistoryEvent): boolean {
  return COMMAND_EVENTS.has(eventTypeOf(event));
}

export function isFinalExecutionEvent(event: IHistoryEvent): boolean {
  return FINAL_EVENTS.has(eventTypeOf(event));
}

/**
 * The id of the event that began the command (or workflow task) this event belongs to, so the
 * event can be routed to the machine that owns it. Undefined for events that stand alone.
 */
export function initiatingEventId(event: IHistoryEvent): number | undefined {
  const e = event;
  const scheduled =
    e.activityTaskStartedEventAttributes ??
    e.activityTaskCompletedEventAttributes ??
    e.activityTaskFailedEventAttributes ??
    e.activityTaskTimedOutEventAttributes ??
    e.activityTaskCancelRequestedEventAttributes ??
    e.activityTaskCanceledEventAttributes ??
    e.workflowTaskStartedEventAttributes ??
    e.workflowTaskCompletedEventAttributes ??
    e.workflowTaskTimedOutEventAttributes ??
    e.workflowTaskFailedEventAttributes;
  if (scheduled) return toNumber(scheduled.scheduledEventId as Int64Like);
  const timer = e.timerFiredEventAttributes ?? e.timerCanceledEventAttributes;
  if (timer) return toNumber(timer.startedEventId as Int64Like);
  const initiated =
    e.startChildWorkflowExecutionFailedEventAttributes ??
    e.childWorkflowExecutionStartedEventAttributes ??
    e.childWorkflowExecutionCompletedEventAttributes ??
    e.childWorkflowExecutionFailedEventAttributes ??
    e.childWorkflowExecutionCanceledEventAttributes ??
    e.childWorkflowExecutionTimedOutEventAttributes ??
    e.childWorkflowExecutionTerminatedEventAttributes ??
    e.signalExternalWorkflowExecutionFailedEventAttributes ??
    e.externalWorkflowExecutionSignaledEventAttributes ??
    e.requestCancelExternalWorkflowExecutionFailedEventAttributes ??
    e.externalWorkflowExecutionCancelRequestedEventAttributes;
  if (initiated) return toNumber(initiated.initiatedEventId as Int64Like);
  const nexus =
    e.nexusOperationStartedEventAttributes ??
    e.nexusOperationCompletedEventAttributes ??
    e.nexusOperationFailedEventAttributes ??
    e.nexusOperationTimedOutEventAttributes ??
    e.nexusOperationCanceledEventAttributes ??
    e.nexusOperationCancelRequestedEventAttributes ??
    e.nexusOperationCancelRequestCompletedEventAttributes ??
    e.nexusOperationCancelRequestFailedEventAttributes;
  if (nexus) return toNumber(nexus.scheduledEventId as Int64Like);
  return undefined;
}

/** Patch id and deprecated flag when the event is a `core_patch` marker. */
export function patchMarkerOf(event: IHistoryEvent): { patchId: string; deprecated: boolean } | undefined {
  if (eventTypeOf(event) !== EventType.EVENT_TYPE_MARKER_RECORDED) return undefined;
  const attrs = event.markerRecordedEventAttributes;
  if (!attrs || attrs.markerName !== PATCH_MARKER_NAME) return undefined;
  return decodePatchMarker(attrs.details ?? {});
}

/** `event 5 (ActivityTaskScheduled: activity id '1', type 'greet')` — for error messages. */
export function describeEvent(event: IHistoryEvent): string {
  const type = eventTypeOf(event);
  const detail = eventDetail(event);
  return `event ${eventIdOf(event)} (${eventTypeName(type)}${detail ? `: ${detail}` : ''})`;
}

function eventDetail(e: IHistoryEvent): string {
  if (e.activityTaskScheduledEventAttributes) {
    const a = e.activityTaskScheduledEventAttributes;
    return `activity id '${a.activityId}', type '${a.activityType?.name}'`;
  }
  if (e.timerStartedEventAttributes) return `timer id '${e.timerStartedEventAttributes.timerId}'`;
  if (e.timerCanceledEventAttributes) return `timer id '${e.timerCanceledEventAttributes.timerId}'`;
  if (e.activityTaskCancelRequestedEventAttributes) {
    return `scheduled event ${toNumber(e.activityTaskCancelRequestedEventAttributes.scheduledEventId as Int64Like)}`;
  }
  if (e.markerRecordedEventAttributes) {
    const patch = patchMarkerOf(e);
    const name = `marker '${e.markerRecordedEventAttributes.markerName}'`;
    const la = localActivityMarkerOf(e)?.data;
    if (la) return `${name}, local activity ${la.seq}, type '${la.activityType}'`;
    return patch ? `${name}, patch '${patch.patchId}'${patch.deprecated ? ' (deprecated)' : ''}` : name;
  }
  const update = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.meta ?? e.workflowExecutionUpdateCompletedEventAttributes?.meta;
  if (update) return `update id '${update.updateId}'`;
  const child = e.startChildWorkflowExecutionInitiatedEventAttributes;
  if (child) return `workflow id '${child.workflowId}', type '${child.workflowType?.name}'`;
  const signal = e.signalExternalWorkflowExecutionInitiatedEventAttributes;
  if (signal) return `signal '${signal.signalName}' to workflow id '${signal.workflowExecution?.workflowId}'`;
  const cancel = e.requestCancelExternalWorkflowExecutionInitiatedEventAttributes;
  if (cancel) return `workflow id '${cancel.workflowExecution?.workflowId}'`;
  const nexus = e.nexusOperationScheduledEventAttributes;
  if (nexus) return `operation '${nexus.service}/${nexus.operation}' on endpoint '${nexus.endpoint}'`;
  return '';
}
