/** Builds hand-written histories for the state-machine tests: ids and times are assigned in order. */
import proto from '@temporalio/proto';
import { changeVersionSearchAttribute, encodePatchMarker } from '../../../core/workflow/patch-marker.js';

type IHistoryEvent = proto.temporal.api.history.v1.IHistoryEvent;
const T = proto.temporal.api.enums.v1.EventType;
const utf8 = new TextEncoder();

export const RUN_ID = 'run-1';
export const payload = (value: unknown): proto.temporal.api.common.v1.IPayload => ({
  metadata: { encoding: utf8.encode('json/plain') },
  data: utf8.encode(JSON.stringify(value)),
});

export class HistoryBuilder {
  readonly events: IHistoryEvent[] = [];
  private lastScheduled = 0;
  private lastStarted = 0;

  private add(eventType: number, attrs: Partial<IHistoryEvent>): number {
    const eventId = this.events.length + 1;
    this.events.push(
      proto.temporal.api.history.v1.HistoryEvent.fromObject({
        eventId,
        eventType,
        eventTime: { seconds: 1_700_000_000 + eventId, nanos: 0 },
        ...attrs,
      }),
    );
    return eventId;
  }

  /** Any event, for kinds without a helper here; returns its id. */
  event(eventType: number, attrs: Partial<IHistoryEvent> = {}): number {
    return this.add(eventType, attrs);
  }

  started(attrs: Record<string, unknown> = {}): this {
    this.add(T.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, {
      workflowExecutionStartedEventAttributes: {
        workflowType: { name: 'wf' },
        taskQueue: { name: 'tq' },
        originalExecutionRunId: RUN_ID,
        firstExecutionRunId: RUN_ID,
        attempt: 1,
        workflowTaskTimeout: { seconds: 10 },
        ...attrs,
      } as never,
    });
    return this;
  }

  /** Scheduled + Started (+ Completed when `complete`). */
  workflowTask(opts: { complete?: boolean; sdkMetadata?: Record<string, unknown> } = {}): this {
    this.lastScheduled = this.add(T.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, { workflowTaskScheduledEventAttributes: {} });
    this.lastStarted = this.add(T.EVENT_TYPE_WORKFLOW_TASK_STARTED, {
      workflowTaskStartedEventAttributes: { scheduledEventId: this.lastScheduled } as never,
    });
    if (opts.complete !== false) this.completed(opts.sdkMetadata);
    return this;
  }

  completed(sdkMetadata: Record<string, unknown> = { coreUsedFlags: [1, 2, 3] }): this {
    this.add(T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, {
      workflowTaskCompletedEventAttributes: {
        scheduledEventId: this.lastScheduled,
        startedEventId: this.lastStarted,
        sdkMetadata,
      } as never,
    });
    return this;
  }

  failedTask(): this {
    this.add(T.EVENT_TYPE_WORKFLOW_TASK_FAILED, {
      workflowTaskFailedEventAttributes: { scheduledEventId: this.lastScheduled, startedEventId: this.lastStarted } as never,
    });
    return this;
  }

  timerStarted(seq: number): number {
    return this.add(T.EVENT_TYPE_TIMER_STARTED, { timerStartedEventAttributes: { timerId: String(seq) } });
  }

  timerFired(seq: number, startedEventId: number): this {
    this.add(T.EVENT_TYPE_TIMER_FIRED, { timerFiredEventAttributes: { timerId: String(seq), startedEventId } as never });
    return this;
  }

  timerCanceled(seq: number, startedEventId: number): this {
    this.add(T.EVENT_TYPE_TIMER_CANCELED, { timerCanceledEventAttributes: { timerId: String(seq), startedEventId } as never });
    return this;
  }

  activityScheduled(id: string, type = 'greet'): number {
    return this.add(T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, {
      activityTaskScheduledEventAttributes: { activityId: id, activityType: { name: type }, taskQueue: { name: 'tq' } },
    });
  }

  activityStarted(scheduledEventId: number): number {
    return this.add(T.EVENT_TYPE_ACTIVITY_TASK_STARTED, { activityTaskStartedEventAttributes: { scheduledEventId } as never });
  }

  activityCompleted(scheduledEventId: number, startedEventId: number, result: unknown): this {
    this.add(T.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, {
      activityTaskCompletedEventAttributes: { scheduledEventId, startedEventId, result: { payloads: [payload(result)] } } as never,
    });
    return this;
  }

  activityFailed(scheduledEventId: number, startedEventId: number, message: string): this {
    this.add(T.EVENT_TYPE_ACTIVITY_TASK_FAILED, {
      activityTaskFailedEventAttributes: {
        scheduledEventId,
        startedEventId,
        identity: 'worker-1',
        retryState: proto.temporal.api.enums.v1.RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE,
        failure: { message, applicationFailureInfo: { type: 'Boom', nonRetryable: true } },
      } as never,
    });
    return this;
  }

  activityCancelRequested(scheduledEventId: number): this {
    this.add(T.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED, { activityTaskCancelRequestedEventAttributes: { scheduledEventId } as never });
    return this;
  }

  activityCanceled(scheduledEventId: number, startedEventId: number): this {
    this.add(T.EVENT_TYPE_ACTIVITY_TASK_CANCELED, {
      activityTaskCanceledEventAttributes: { scheduledEventId, startedEventId, identity: 'worker-1' } as never,
    });
    return this;
  }

  patchMarker(patchId: string, deprecated = false): this {
    this.add(T.EVENT_TYPE_MARKER_RECORDED, {
      markerRecordedEventAttributes: { markerName: 'core_patch', details: encodePatchMarker(patchId, deprecated) },
    });
    return this;
  }

  /** The TemporalChangeVersion upsert the official core writes after a patch marker (core flag 2). */
  changeVersionUpsert(patchIds: string[]): this {
    const value = changeVersionSearchAttribute(patchIds)!;
    this.add(T.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES, {
      upsertWorkflowSearchAttributesEventAttributes: { searchAttributes: { indexedFields: { TemporalChangeVersion: value } } },
    });
    return this;
  }

  signaled(name: string, input: unknown): this {
    this.add(T.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, {
      workflowExecutionSignaledEventAttributes: { signalName: name, input: { payloads: [payload(input)] }, identity: 'client' },
    });
    return this;
  }

  cancelRequested(): this {
    this.add(T.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED, { workflowExecutionCancelRequestedEventAttributes: { cause: 'user' } });
    return this;
  }

  workflowCompleted(): this {
    this.add(T.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, { workflowExecutionCompletedEventAttributes: {} });
    return this;
  }

  continuedAsNew(): this {
    this.add(T.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW, {
      workflowExecutionContinuedAsNewEventAttributes: { newExecutionRunId: 'run-2', workflowType: { name: 'wf' } },
    });
    return this;
  }

  get lastId(): number {
    return this.events.length;
  }

  get lastStartedId(): number {
    return this.lastStarted;
  }
}
