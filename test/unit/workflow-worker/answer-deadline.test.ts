import { temporal } from '@temporalio/proto';
import { msNumberToTs } from '@temporalio/common/lib/time.js';
import { describe, expect, it } from 'vitest';
import { workflowTaskDeadline } from '../../../core/workflow-worker/answer-deadline.js';
import { attemptDeadline } from '../../../core/activity/attempt-deadline.js';

const { EventType } = temporal.api.enums.v1;
type Task = temporal.api.workflowservice.v1.PollWorkflowTaskQueueResponse;
// Event ids are int64 (Long) in the generated types; the code under test reads them with Number().
const task = (t: Record<string, unknown>): Task => t as unknown as Task;

describe('answer deadlines', () => {
  it('a workflow task: its start plus the start-to-close of its own WorkflowTaskScheduled event', () => {
    const wft = task({
      startedEventId: 3,
      startedTime: msNumberToTs(1_000_000),
      history: {
        events: [
          { eventId: 1, eventType: EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED },
          { eventId: 2, eventType: EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, workflowTaskScheduledEventAttributes: { startToCloseTimeout: msNumberToTs(45_000) } },
          { eventId: 3, eventType: EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED },
        ],
      },
    });
    expect(workflowTaskDeadline(wft)).toBe(1_045_000);
    // Paged past the event: no deadline, the caller keeps its fixed retries.
    expect(workflowTaskDeadline(task({ startedEventId: 9, startedTime: msNumberToTs(1), history: { events: [] } }))).toBeUndefined();
  });

  it('an activity attempt: the earlier of start-to-close from receipt and schedule-to-close from scheduling', () => {
    const received = 2_000_000;
    expect(attemptDeadline({ startToCloseTimeout: msNumberToTs(60_000) }, received)).toBe(2_060_000);
    expect(attemptDeadline({ startToCloseTimeout: msNumberToTs(60_000), scheduleToCloseTimeout: msNumberToTs(30_000), scheduledTime: msNumberToTs(1_990_000) }, received)).toBe(2_020_000);
    expect(attemptDeadline({}, received)).toBeUndefined();
  });
});
