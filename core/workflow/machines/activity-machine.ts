import * as proto from '../../connection/proto.js';
import { HistoryError, NondeterminismError } from '../errors.js';
import { describeEvent } from '../history-events.js';
import {
  CommandType,
  EventType,
  eventIdOf,
  eventTypeOf,
  int64,
  toNumber,
  type ICommand,
  type IFailure,
  type IHistoryEvent,
  type Int64Like,
} from '../proto-types.js';
import { CommandMachine, type MachineContext } from './command-machine.js';

type IScheduleActivity = proto.coresdk.workflow_commands.IScheduleActivity;
type IActivityResolution = proto.coresdk.activity_result.IActivityResolution;
const CancellationType = proto.coresdk.workflow_commands.ActivityCancellationType;
const RetryState = proto.temporal.api.enums.v1.RetryState;

type ActivityState =
  | 'scheduleCommandCreated'
  | 'scheduled'
  | 'started'
  | 'cancelCommandCreated'
  | 'cancelRecorded'
  | 'resolved'
  | 'abandoned';

/**
 * One activity: ScheduleActivityTask → Scheduled → Started → Completed/Failed/TimedOut/Canceled,
 * each outcome a ResolveActivity job. Cancellation follows the command's cancellation type:
 * TRY_CANCEL sends RequestCancelActivityTask and resolves as cancelled at once; WAIT_CANCELLATION_COMPLETED
 * sends it and resolves when history says how the activity ended; ABANDON sends nothing and resolves at once.
 */
export class ActivityMachine extends CommandMachine {
  private state: ActivityState = 'scheduleCommandCreated';
  private scheduledEventId = 0;
  private readonly cancellationType: number;

  constructor(private readonly attrs: IScheduleActivity) {
    super();
    this.cancellationType = attrs.cancellationType ?? CancellationType.TRY_CANCEL;
  }

  get seq(): number {
    return this.attrs.seq ?? 0;
  }

  get label(): string {
    return `activity ${this.seq} (id '${this.attrs.activityId}', type '${this.attrs.activityType}')`;
  }

  get isFinal(): boolean {
    return this.state === 'resolved';
  }

  cancel(ctx: MachineContext): void {
    if (this.state === 'resolved' || this.state === 'abandoned') return;
    if (this.state === 'cancelCommandCreated' || this.state === 'cancelRecorded') return;
    if (this.cancellationType === CancellationType.ABANDON) {
      this.cancelledBeforeSent = this.state === 'scheduleCommandCreated';
      this.state = 'abandoned';
      this.resolveCancelled(ctx, undefined);
      return;
    }
    if (this.state === 'scheduleCommandCreated') {
      this.cancelledBeforeSent = true;
      this.state = 'resolved';
      this.resolveCancelled(ctx, undefined);
      return;
    }
    this.state = 'cancelCommandCreated';
    ctx.issueCommand(this, {
      commandType: CommandType.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK,
      requestCancelActivityTaskCommandAttributes: { scheduledEventId: int64(this.scheduledEventId) },
    });
    if (this.cancellationType === CancellationType.TRY_CANCEL) this.resolveCancelled(ctx, undefined);
  }

  override onCommandRecorded(event: IHistoryEvent, _command: ICommand, _ctx: MachineContext): void {
    const type = eventTypeOf(event);
    if (type === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED && this.state === 'scheduleCommandCreated') {
      this.scheduledEventId = eventIdOf(event);
      this.state = 'scheduled';
    } else if (type === EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED && this.state === 'cancelCommandCreated') {
      this.state = 'cancelRecorded';
    } else {
      throw new NondeterminismError(`History ${describeEvent(event)} does not fit ${this.label} in state ${this.state}.`);
    }
  }

  override onEvent(event: IHistoryEvent, ctx: MachineContext): void {
    // An abandoned activity may still run and finish; the workflow no longer cares.
    if (this.state === 'abandoned') return;
    const cancelRequested = this.state === 'cancelCommandCreated' || this.state === 'cancelRecorded';
    // TRY_CANCEL already told the workflow "cancelled": whatever history says next changes nothing.
    const alreadyResolved = cancelRequested && this.cancellationType === CancellationType.TRY_CANCEL;
    switch (eventTypeOf(event)) {
      case EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
        if (this.state === 'scheduled') this.state = 'started';
        return;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED: {
        const payloads = event.activityTaskCompletedEventAttributes?.result?.payloads ?? [];
        if (payloads.length > 1) throw new HistoryError(`Activity result of ${describeEvent(event)} holds more than one payload.`);
        this.finish(ctx, alreadyResolved, { completed: { result: payloads[0] ?? null } });
        return;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED: {
        const a = event.activityTaskFailedEventAttributes ?? {};
        const failure = this.activityFailure('Activity task failed', a.failure, a.identity ?? '', a.retryState, a);
        this.finish(ctx, alreadyResolved, { failed: { failure } });
        return;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT: {
        const a = event.activityTaskTimedOutEventAttributes ?? {};
        const failure = this.activityFailure('Activity task timed out', a.failure, '', a.retryState, a);
        this.finish(ctx, alreadyResolved, { failed: { failure } });
        return;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED: {
        if (!cancelRequested) break;
        const a = event.activityTaskCanceledEventAttributes ?? {};
        this.state = 'resolved';
        if (!alreadyResolved) this.resolveCancelled(ctx, a);
        return;
      }
    }
    super.onEvent(event, ctx);
  }

  private finish(ctx: MachineContext, alreadyResolved: boolean, result: IActivityResolution): void {
    this.state = 'resolved';
    if (!alreadyResolved) ctx.pushJob({ resolveActivity: { seq: this.seq, result, isLocal: false } });
  }

  private resolveCancelled(
    ctx: MachineContext,
    canceled: proto.temporal.api.history.v1.IActivityTaskCanceledEventAttributes | undefined,
  ): void {
    const failure: IFailure = {
      message: 'Activity cancelled',
      cause: { canceledFailureInfo: { details: canceled?.details ?? null } },
      activityFailureInfo: this.failureInfo(
        canceled?.identity ?? '',
        RetryState.RETRY_STATE_CANCEL_REQUESTED,
        canceled ?? {},
      ),
    };
    ctx.pushJob({ resolveActivity: { seq: this.seq, result: { cancelled: { failure } }, isLocal: false } });
  }

  /** The official core wraps the activity's own failure (kept unchanged as `cause`) in an ActivityFailure. */
  private activityFailure(
    message: string,
    cause: IFailure | null | undefined,
    identity: string,
    retryState: number | null | undefined,
    ids: { startedEventId?: Int64Like; scheduledEventId?: Int64Like },
  ): IFailure {
    return { message, cause: cause ?? null, activityFailureInfo: this.failureInfo(identity, retryState ?? 0, ids) };
  }

  private failureInfo(
    identity: string,
    retryState: number,
    ids: { startedEventId?: Int64Like; scheduledEventId?: Int64Like },
  ): proto.temporal.api.failure.v1.IActivityFailureInfo {
    return {
      identity,
      activityType: { name: this.attrs.activityType ?? '' },
      activityId: this.attrs.activityId ?? '',
      retryState,
      startedEventId: int64(toNumber(ids.startedEventId)),
      scheduledEventId: int64(toNumber(ids.scheduledEventId)),
    };
  }
}
