import type { Connection } from '../connection/connection.js';
import type { temporal } from '../connection/proto.js';

type IHistoryEvent = temporal.api.history.v1.IHistoryEvent;
type Task = temporal.api.workflowservice.v1.IPollWorkflowTaskQueueResponse;

function eventId(e: IHistoryEvent): number {
  return Number(e.eventId ?? 0);
}

/** Pages GetWorkflowExecutionHistory from `pageToken` (or the start) to the end. */
async function fetchPages(connection: Connection, task: Task, pageToken: Uint8Array | null | undefined, signal?: AbortSignal): Promise<IHistoryEvent[]> {
  const events: IHistoryEvent[] = [];
  let token = pageToken;
  do {
    const res = await connection.call(
      'getWorkflowExecutionHistory',
      { namespace: connection.namespace, execution: task.workflowExecution, nextPageToken: token ?? undefined, maximumPageSize: 1000 },
      { signal },
    );
    events.push(...(res.history?.events ?? []));
    token = res.nextPageToken?.length ? res.nextPageToken : undefined;
  } while (token);
  return events;
}

/**
 * The events a workflow task needs. `full` asks for the whole history from event 1 (a cache miss
 * on a sticky task, which carries only the new events); otherwise the task's own events, plus
 * the pages the server left out of a large task (`nextPageToken`). Events past the task's
 * WorkflowTaskStarted belong to the next task and are cut off.
 */
export async function historyForTask(connection: Connection, task: Task, full: boolean, signal?: AbortSignal): Promise<IHistoryEvent[]> {
  let events: IHistoryEvent[];
  const own = task.history?.events ?? [];
  if (full && (own.length === 0 || eventId(own[0]!) !== 1)) {
    events = await fetchPages(connection, task, undefined, signal);
    // The task's own events follow: a speculative task's (an update's) are in no stored history.
    const last = events.length > 0 ? eventId(events.at(-1)!) : 0;
    events.push(...own.filter((e) => eventId(e) > last));
  } else {
    events = task.nextPageToken?.length ? [...own, ...(await fetchPages(connection, task, task.nextPageToken, signal))] : [...own];
  }
  const started = Number(task.startedEventId ?? 0);
  return started > 0 ? events.filter((e) => eventId(e) <= started) : events;
}
