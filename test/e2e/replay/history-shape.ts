/**
 * A history's "shape" for comparing two runtimes: the sequence of its event types. Event ids,
 * times, identities and payload bytes differ between any two runs and are left out.
 */
import proto from '@temporalio/proto';

const EventType = proto.temporal.api.enums.v1.EventType;
const WORKFLOW_TASK_EVENTS = new Set<number>([
  EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
  EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
  EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
]);

const ACTIVITY_PROGRESS = new Set<number>([EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED, EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED]);

/**
 * - `exact`: every event type, in order.
 * - `parallelActivities`: without WorkflowTaskScheduled/Started/Completed, and each stretch of
 *   ActivityTaskStarted/Completed events sorted. With activities running in parallel, how many
 *   workflow tasks run and when the server writes each Started (at completion, or earlier when a
 *   workflow task starts meanwhile) depend on timing, not on what the workflow code did.
 */
export type Shape = 'exact' | 'parallelActivities';

export function shapeOf(history: proto.temporal.api.history.v1.IHistory, shape: Shape): string[] {
  const types = (history.events ?? []).map((e) => e.eventType ?? 0);
  const kept = shape === 'exact' ? types : sortProgressStretches(types.filter((t) => !WORKFLOW_TASK_EVENTS.has(t)));
  return kept.map((t) => EventType[t]!.replace(/^EVENT_TYPE_/, ''));
}

function sortProgressStretches(types: number[]): number[] {
  const out: number[] = [];
  let stretch: number[] = [];
  for (const t of [...types, -1]) {
    if (ACTIVITY_PROGRESS.has(t)) {
      stretch.push(t);
      continue;
    }
    out.push(...stretch.sort((a, b) => a - b));
    stretch = [];
    if (t !== -1) out.push(t);
  }
  return out;
}
