import * as proto from '../../connection/proto.js';
import { NondeterminismError } from '../errors.js';
import { describeEvent } from '../history-events.js';
import { CoreFlag } from '../internal-flags.js';
import { encodeLocalActivityMarker, localActivityMarkerOf, type LocalActivityMarker, type LocalActivityMarkerData } from '../local-activity-marker.js';
import { CommandType, int64, toNumber, type ICommand, type IFailure, type IHistoryEvent, type Int64Like, type IPayload, type ITimestamp } from '../proto-types.js';
import { CommandMachine, type MachineContext } from './command-machine.js';
import type { LocalActivityBook } from './local-activity-book.js';

type IScheduleLocalActivity = proto.coresdk.workflow_commands.IScheduleLocalActivity;
type IActivityResolution = proto.coresdk.activity_result.IActivityResolution;
type IDuration = proto.google.protobuf.IDuration;
const CancellationType = proto.coresdk.workflow_commands.ActivityCancellationType;
const RetryState = proto.temporal.api.enums.v1.RetryState;

/** How one local activity ended, as its executor reports it. */
export type LocalActivityResult =
  | { kind: 'completed'; result: IPayload | null | undefined }
  | { kind: 'failed'; failure: IFailure }
  | { kind: 'timedOut'; failure: IFailure }
  | { kind: 'cancelled'; failure: IFailure };

/** An executor's answer for one local activity (all its local attempts). */
export interface LocalActivityResolution {
  seq: number;
  result: LocalActivityResult;
  /** How long the last attempt ran: the marker's complete time is the workflow time it started at plus this. */
  runtimeMs: number;
  /** The attempt that ended it. */
  attempt: number;
  /** Set when the next attempt must wait this long on a workflow timer (over the local retry threshold). */
  backoff?: IDuration | null;
  originalScheduleTime?: ITimestamp | null;
}

/** What the machine needs from the run beyond other machines. */
export interface LocalActivityContext extends MachineContext {
  readonly localActivities: LocalActivityBook;
  /** Workflow time now (the time of the last workflow task started, or of the last local activity). */
  readonly currentTime: ITimestamp | null | undefined;
  advanceTime(time: ITimestamp): void;
}

interface Resolved {
  result: LocalActivityResult;
  completeTime: ITimestamp | null;
  attempt: number;
  backoff: IDuration | null;
  originalScheduleTime: ITimestamp | null;
}

type State =
  /** Handed to the executor (or about to be); its result will be recorded as a marker. */
  | 'requestSent'
  /** Replaying: the result will come from a marker in history. */
  | 'waitingMarker'
  /** Replaying and already resolved from a marker read ahead: the marker event is still to come. */
  | 'waitingMarkerResolved'
  /** Resolved by execution: the marker command is queued or sent, its event not seen. */
  | 'markerCommandCreated'
  | 'markerRecorded';

/**
 * One local activity. No command is sent when it is scheduled: the worker runs it, and its
 * result becomes a RecordMarker (`core_local_activity`) command plus a ResolveActivity job. On
 * replay nothing runs: the result comes from the marker in history, read ahead so that the code
 * sees it in the same activation as originally. A local activity still without a marker when the
 * first new workflow task starts runs after all (the worker that ran it died before recording it).
 */
export class LocalActivityMachine extends CommandMachine {
  private state: State;
  private replayingWhenInvoked: boolean;
  private resultKind: LocalActivityResult['kind'] | undefined;
  private readonly cancellationType: number;
  private readonly attrs: IScheduleLocalActivity;

  constructor(
    attrs: IScheduleLocalActivity,
    replaying: boolean,
    /** Workflow time when the code scheduled it. */
    private readonly startedAt: ITimestamp | null | undefined,
    private readonly userMetadata: proto.temporal.api.sdk.v1.IUserMetadata | null | undefined,
    nowMs: number = Date.now(),
  ) {
    super();
    // The first attempt's schedule time stays with all attempts, including those after a timer.
    this.attrs = { ...attrs, originalScheduleTime: attrs.originalScheduleTime ?? msToTimestamp(nowMs) };
    // Unset is proto3's zero, TRY_CANCEL, as the official core reads it.
    this.cancellationType = attrs.cancellationType ?? CancellationType.TRY_CANCEL;
    this.replayingWhenInvoked = replaying;
    this.state = replaying ? 'waitingMarker' : 'requestSent';
  }

  get seq(): number {
    return this.attrs.seq ?? 0;
  }

  get label(): string {
    return `local activity ${this.seq} (id '${this.attrs.activityId}', type '${this.attrs.activityType}')`;
  }

  get isFinal(): boolean {
    return this.state === 'markerRecorded';
  }

  /** Right after creation: queue the execution, or take a result already read from history. */
  schedule(ctx: LocalActivityContext): void {
    if (this.state === 'requestSent') {
      ctx.localActivities.requestExecution(this.attrs);
      return;
    }
    const marker = ctx.localActivities.takePreResolved(this.seq);
    if (marker) this.resolveFromMarker(marker, ctx);
  }

  /** True while a marker read ahead can resolve it. */
  get awaitsMarker(): boolean {
    return this.state === 'waitingMarker';
  }

  /** A marker of this activity read ahead in history (replay). */
  resolveFromMarker(marker: LocalActivityMarker, ctx: LocalActivityContext): void {
    if (this.state !== 'waitingMarker') return;
    this.state = 'waitingMarkerResolved';
    this.emit(fromMarker(marker), ctx);
  }

  /** The first new workflow task started and history never recorded this activity: run it. */
  nonReplayTaskStarted(ctx: LocalActivityContext): void {
    if (this.state !== 'waitingMarker') return;
    this.replayingWhenInvoked = false;
    this.state = 'requestSent';
    ctx.localActivities.requestExecution(this.attrs);
  }

  /** The executor's answer. Late answers (after a no-wait cancel, say) change nothing. */
  resolve(resolution: LocalActivityResolution, ctx: LocalActivityContext): void {
    ctx.localActivities.doneExecuting(this.seq);
    if (this.state !== 'requestSent') return;
    this.state = 'markerCommandCreated';
    this.emit(
      {
        result: resolution.result,
        completeTime: this.startedAt ? addMs(this.startedAt, resolution.runtimeMs) : null,
        attempt: resolution.attempt,
        backoff: resolution.backoff ?? null,
        originalScheduleTime: resolution.originalScheduleTime ?? this.attrs.originalScheduleTime ?? null,
      },
      ctx,
    );
  }

  cancel(ctx: LocalActivityContext): void {
    if (this.state !== 'requestSent') return;
    const type = this.cancellationType;
    const queued = ctx.localActivities.unqueue(this.seq);
    if (type === CancellationType.WAIT_CANCELLATION_COMPLETED) {
      if (!queued) {
        // Running: the executor cancels it and reports how it ended.
        ctx.localActivities.requestCancel(this.seq);
        return;
      }
      // Never started: resolved as cancelled at once, at the workflow time it was scheduled.
      this.resolve({ seq: this.seq, result: emptyCancel(), runtimeMs: 0, attempt: this.attrs.attempt ?? 0 }, ctx);
      return;
    }
    // TRY_CANCEL and ABANDON do not wait: cancelled now, with no complete time (the clock stays).
    // A running TRY_CANCEL activity is still told to stop, and holds the workflow task until it has.
    if (type === CancellationType.TRY_CANCEL && !queued) ctx.localActivities.requestCancel(this.seq);
    this.state = 'markerCommandCreated';
    this.emit(
      { result: emptyCancel(), completeTime: null, attempt: this.attrs.attempt ?? 0, backoff: null, originalScheduleTime: this.attrs.originalScheduleTime ?? null },
      ctx,
    );
  }

  /**
   * A marker event of this activity that no command of ours stands for (replay): true when this
   * machine takes it directly instead of it being matched against the command queue.
   */
  takesMarkerDirectly(event: IHistoryEvent): boolean {
    if (this.state === 'waitingMarker' || this.state === 'waitingMarkerResolved') return true;
    if (this.state === 'markerCommandCreated') return false;
    throw new NondeterminismError(`History ${describeEvent(event)} records ${this.label}, which is ${this.state === 'markerRecorded' ? 'already recorded' : 'still running'}.`);
  }

  /** The marker event on the replay path. */
  onMarkerEvent(event: IHistoryEvent, ctx: LocalActivityContext): void {
    const marker = this.verify(event, ctx);
    if (this.state === 'waitingMarker') this.emit(fromMarker(marker), ctx);
    this.state = 'markerRecorded';
  }

  /** The marker event of the command we sent (execution path). */
  override onCommandRecorded(event: IHistoryEvent, _command: ICommand, ctx: MachineContext): void {
    const marker = this.verify(event, ctx);
    if (this.resultKind === 'completed' && !marker.result.ok) {
      throw new NondeterminismError(`${this.label} completed here, but history ${describeEvent(event)} says it failed.`);
    }
    if ((this.resultKind === 'failed' || this.resultKind === 'timedOut') && marker.result.ok) {
      throw new NondeterminismError(`${this.label} failed here, but history ${describeEvent(event)} says it completed.`);
    }
    this.state = 'markerRecorded';
  }

  private verify(event: IHistoryEvent, ctx: MachineContext): LocalActivityMarker {
    const marker = localActivityMarkerOf(event);
    if (!marker) throw new NondeterminismError(`History ${describeEvent(event)} is a local activity marker this runtime cannot read.`);
    const { data } = marker;
    if (data.seq !== this.seq) {
      throw new NondeterminismError(`History ${describeEvent(event)} records local activity ${data.seq}, but it was matched against ${this.label}.`);
    }
    // As the official core: the check follows whether the activity was first scheduled while replaying.
    if (ctx.flags.tryUse(CoreFlag.IdAndTypeDeterminismChecks, !this.replayingWhenInvoked)) {
      if (data.activityId !== this.attrs.activityId) {
        throw new NondeterminismError(`History ${describeEvent(event)} records activity id '${data.activityId}', but the workflow code scheduled ${this.label}.`);
      }
      if (data.activityType !== this.attrs.activityType) {
        throw new NondeterminismError(`History ${describeEvent(event)} records activity type '${data.activityType}', but the workflow code scheduled ${this.label}.`);
      }
    }
    return marker;
  }

  /** Tells the workflow (ResolveActivity job), moves the clock, and records the marker when executing. */
  private emit(r: Resolved, ctx: LocalActivityContext): void {
    this.resultKind = r.result.kind;
    ctx.pushJob({ resolveActivity: { seq: this.seq, result: this.resolutionFor(r), isLocal: true } });
    if (r.completeTime) ctx.advanceTime(r.completeTime);
    const willNotRunAgain = r.result.kind === 'cancelled' || r.result.kind === 'timedOut';
    if (willNotRunAgain && this.cancellationType === CancellationType.ABANDON) ctx.localActivities.doneExecuting(this.seq);
    if (this.replayingWhenInvoked) return;
    const data: LocalActivityMarkerData = {
      seq: this.seq,
      attempt: r.attempt,
      activityId: this.attrs.activityId ?? '',
      activityType: this.attrs.activityType ?? '',
      completeTime: r.completeTime,
      backoff: r.backoff,
      originalScheduleTime: r.originalScheduleTime,
    };
    const command: ICommand = {
      commandType: CommandType.COMMAND_TYPE_RECORD_MARKER,
      recordMarkerCommandAttributes: encodeLocalActivityMarker(data, r.result.kind === 'completed' ? r.result.result : undefined, r.result.kind === 'completed' ? undefined : r.result.failure),
    };
    if (this.userMetadata) command.userMetadata = this.userMetadata;
    ctx.issueCommand(this, command);
  }

  private resolutionFor(r: Resolved): IActivityResolution {
    if (r.backoff) return { backoff: { attempt: r.attempt + 1, backoffDuration: r.backoff, originalScheduleTime: r.originalScheduleTime } };
    switch (r.result.kind) {
      case 'completed':
        return { completed: { result: r.result.result ?? null } };
      case 'failed':
        // The official core hands the activity's own failure over, unwrapped.
        return { failed: { failure: r.result.failure } };
      case 'timedOut':
        return { failed: { failure: this.wrap(r.result.failure, 'Local Activity timed out', 'timeoutFailureInfo') } };
      case 'cancelled':
        return { cancelled: { failure: this.wrap(r.result.failure, 'Local Activity cancelled', 'canceledFailureInfo') } };
    }
  }

  /** Timeouts and cancels reach the workflow as an ActivityFailure around them, as in the official core. */
  private wrap(failure: IFailure, message: string, info: 'timeoutFailureInfo' | 'canceledFailureInfo'): IFailure {
    if (!failure[info]) return failure;
    return {
      message,
      cause: failure,
      activityFailureInfo: {
        identity: '',
        activityType: { name: this.attrs.activityType ?? '' },
        activityId: this.attrs.activityId ?? '',
        retryState: RetryState.RETRY_STATE_CANCEL_REQUESTED,
        startedEventId: int64(0),
        scheduledEventId: int64(0),
      },
    };
  }
}

/** `Cancellation` with no details, as the official core makes for a cancel that never ran. */
function emptyCancel(): LocalActivityResult {
  return { kind: 'cancelled', failure: { message: 'Activity cancelled', canceledFailureInfo: {} } };
}

/**
 * A result as the official core reads it back from a marker: a failure whose info (or its
 * cause's) is a cancellation is a cancel; any other failure, timeouts included, is a failure.
 */
function fromMarker(marker: LocalActivityMarker): Resolved {
  const { data, result } = marker;
  let r: LocalActivityResult;
  if (result.ok) r = { kind: 'completed', result: result.payload };
  else if (result.failure.canceledFailureInfo || result.failure.cause?.canceledFailureInfo) r = { kind: 'cancelled', failure: result.failure };
  else r = { kind: 'failed', failure: result.failure };
  return { result: r, completeTime: data.completeTime, attempt: data.attempt, backoff: data.backoff, originalScheduleTime: data.originalScheduleTime };
}

function msToTimestamp(ms: number): ITimestamp {
  return { seconds: int64(Math.floor(ms / 1000)), nanos: Math.round((ms % 1000) * 1e6) };
}

function addMs(t: ITimestamp, ms: number): ITimestamp {
  const totalNanos = (t.nanos ?? 0) + Math.round(ms * 1e6);
  const carry = Math.floor(totalNanos / 1e9);
  return { seconds: int64(toNumber(t.seconds as Int64Like) + carry), nanos: totalNanos - carry * 1e9 };
}
