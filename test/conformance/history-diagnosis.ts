/**
 * Why a failed run failed, as the server recorded it: a worker that cannot handle something
 * usually fails the workflow task (and the client only sees a timeout a minute later), so the
 * report adds the distinct workflow-task failures found in the histories of the run's task queue.
 */
import { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto';

type HistoryEvent = proto.temporal.api.history.v1.IHistoryEvent;

const { WorkflowTaskFailedCause } = proto.temporal.api.enums.v1;

/** Distinct `cause: message` of the WorkflowTaskFailed events, in order of appearance. */
export function workflowTaskFailures(events: readonly HistoryEvent[]): string[] {
  const seen = new Set<string>();
  for (const event of events) {
    const failed = event.workflowTaskFailedEventAttributes;
    if (!failed) continue;
    const cause = WorkflowTaskFailedCause[failed.cause ?? 0] ?? String(failed.cause);
    const message = (failed.failure?.message ?? '').split('\n')[0];
    seen.add(`${cause.replace(/^WORKFLOW_TASK_FAILED_CAUSE_/, '')}: ${message}`);
  }
  return [...seen];
}

/** The workflow-task failures of up to `limit` workflows of `taskQueue`; empty when there are none or on any error. */
export async function taskQueueFailures(address: string, namespace: string, taskQueue: string, limit = 20): Promise<string[]> {
  const connection = await Connection.connect({ address });
  try {
    const client = new Client({ connection, namespace });
    const all = new Set<string>();
    let n = 0;
    for await (const wf of client.workflow.list({ query: `TaskQueue = '${taskQueue}'` })) {
      const history = await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
      for (const f of workflowTaskFailures(history.events ?? [])) all.add(`${wf.type}: ${f}`);
      if (++n >= limit) break;
    }
    return [...all];
  } catch {
    return [];
  } finally {
    await connection.close();
  }
}
