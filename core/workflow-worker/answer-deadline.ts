import { optionalTsToMs, tsToMs } from '@temporalio/common/lib/time.js';
import { temporal } from '../connection/proto.js';

type Task = temporal.api.workflowservice.v1.PollWorkflowTaskQueueResponse;
const SCHEDULED = temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED;

/**
 * When the server stops accepting an answer to this workflow task (epoch ms): its start plus the
 * start-to-close timeout of its WorkflowTaskScheduled event, found in the task's own events.
 * Retrying an answer past it is pointless (the server has timed the task out and hands it out
 * again); up to it, an outage loses nothing. Undefined when the task does not carry the event
 * (a history paged past it): the caller keeps its fixed retries.
 */
export function workflowTaskDeadline(task: Task): number | undefined {
  const scheduledId = Number(task.startedEventId ?? 0) - 1;
  const scheduled = task.history?.events?.find((e) => e.eventType === SCHEDULED && Number(e.eventId) === scheduledId);
  const timeout = optionalTsToMs(scheduled?.workflowTaskScheduledEventAttributes?.startToCloseTimeout);
  if (!timeout || !task.startedTime) return undefined;
  return tsToMs(task.startedTime) + timeout;
}
