import * as proto from '../../connection/proto.js';
import { HistoryError } from '../errors.js';
import { EventType, eventIdOf, eventTypeOf, type IHistoryEvent, type ITimestamp } from '../proto-types.js';

const FailedCause = proto.temporal.api.enums.v1.WorkflowTaskFailedCause;

export interface WorkflowTaskListener {
  /** A workflow task the code must see has started (or, on replay, completed): time moves on. */
  taskStarted(startedEventId: number, time: ITimestamp): void;
  /** The run was reset: the workflow must reseed its randomness from the new run id. */
  runReset(newRunId: string): void;
}

/**
 * One workflow task in history: Scheduled → Started → Completed | Failed | TimedOut.
 * Only the task that ends the sequence being applied moves workflow time (a task that failed or
 * timed out was never seen by the code); a completed task re-asserts its start time.
 */
export class WorkflowTaskMachine {
  private startedEventId = 0;
  private startedTime: ITimestamp = {};

  /** `lastStartedInSequence`: the WorkflowTaskStarted id that closes the sequence being applied. */
  constructor(
    private readonly lastStartedInSequence: number,
    private readonly listener: WorkflowTaskListener,
  ) {}

  onEvent(event: IHistoryEvent): void {
    switch (eventTypeOf(event)) {
      case EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED: {
        if (!event.eventTime) throw new HistoryError(`WorkflowTaskStarted event ${eventIdOf(event)} has no event time.`);
        this.startedEventId = eventIdOf(event);
        this.startedTime = event.eventTime;
        if (this.startedEventId >= this.lastStartedInSequence) {
          this.listener.taskStarted(this.startedEventId, this.startedTime);
        }
        return;
      }
      case EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
        this.listener.taskStarted(this.startedEventId, this.startedTime);
        return;
      case EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED: {
        const a = event.workflowTaskFailedEventAttributes;
        if (a?.cause === FailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW && a.newRunId) {
          this.listener.runReset(a.newRunId);
        }
        return;
      }
      case EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
        return;
      default:
        throw new HistoryError(`Event ${eventIdOf(event)} refers to a workflow task but is not a workflow task event.`);
    }
  }
}
