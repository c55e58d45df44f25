import * as proto from '../../connection/proto.js';
import { NondeterminismError } from '../errors.js';
import { describeEvent } from '../history-events.js';
import { CommandType, EventType, eventIdOf, eventTypeOf, int64, type ICommand, type IFailure, type IHistoryEvent } from '../proto-types.js';
import { CommandMachine, type MachineContext } from './command-machine.js';

type IScheduleNexus = proto.coresdk.workflow_commands.IScheduleNexusOperation;
type INexusResult = proto.coresdk.nexus.INexusOperationResult;
type IStartStatus = Omit<proto.coresdk.workflow_activation.IResolveNexusOperationStart, 'seq'>;
const CancellationType = proto.coresdk.nexus.NexusOperationCancellationType;

type NexusState = 'scheduleCommandCreated' | 'scheduled' | 'started' | 'completed' | 'failed' | 'timedOut' | 'cancelled';

/**
 * One Nexus operation: ScheduleNexusOperation → Scheduled → Started (async, with an operation
 * token) → Completed / Failed / Canceled / TimedOut; a synchronous operation goes from Scheduled
 * straight to its outcome. The start resolves with a ResolveNexusOperationStart job (the token,
 * `startedSync`, or the failure when it never started), the outcome with ResolveNexusOperation,
 * as the official core resolves them; the server already wraps outcome failures in a
 * NexusOperationFailureInfo.
 *
 * Cancellation follows the operation's cancellation type. Before the schedule was recorded, the
 * command is dropped and the start resolves as cancelled. After, every type but ABANDON sends
 * one RequestCancelNexusOperation; ABANDON and TRY_CANCEL resolve as cancelled at once,
 * WAIT_CANCELLATION_REQUESTED when the server says the handler took the request (or failed it),
 * WAIT_CANCELLATION_COMPLETED when the operation ends.
 *
 * Unlike the official core, nothing more reaches the workflow once it has been told the outcome:
 * the core would resolve a start or an outcome lang no longer waits for (it fails the activation),
 * and rejects an abandoned operation that later ends, which the server may well record.
 */
export class NexusOperationMachine extends CommandMachine {
  private state: NexusState = 'scheduleCommandCreated';
  private scheduledEventId = 0;
  private operationToken = '';
  private cancelSent = false;
  /** The workflow already has the outcome; later events are only checked. */
  private told = false;
  private readonly cancellationType: number;

  constructor(private readonly attrs: IScheduleNexus) {
    super();
    this.cancellationType = attrs.cancellationType ?? CancellationType.WAIT_CANCELLATION_COMPLETED;
  }

  get seq(): number {
    return this.attrs.seq ?? 0;
  }

  get label(): string {
    return `Nexus operation ${this.seq} ('${this.attrs.service}/${this.attrs.operation}' on endpoint '${this.attrs.endpoint}')`;
  }

  /** Later events (a cancel's outcome after the operation's) may still refer to it, as in the core. */
  get isFinal(): boolean {
    return this.cancelledBeforeSent;
  }

  command(): ICommand {
    const a = this.attrs;
    return {
      commandType: CommandType.COMMAND_TYPE_SCHEDULE_NEXUS_OPERATION,
      scheduleNexusOperationCommandAttributes: {
        endpoint: a.endpoint,
        service: a.service,
        operation: a.operation,
        input: a.input,
        scheduleToCloseTimeout: a.scheduleToCloseTimeout,
        scheduleToStartTimeout: a.scheduleToStartTimeout,
        startToCloseTimeout: a.startToCloseTimeout,
        nexusHeader: a.nexusHeader ?? {},
      },
    };
  }

  cancel(ctx: MachineContext): void {
    if (this.state === 'scheduleCommandCreated') {
      this.cancelledBeforeSent = true;
      this.state = 'cancelled';
      this.tellStart(ctx, { failed: this.cancelledFailure('Nexus Operation cancelled before scheduled') });
      return;
    }
    if ((this.state !== 'scheduled' && this.state !== 'started') || this.cancelSent) return;
    this.cancelSent = true;
    if (this.cancellationType !== CancellationType.ABANDON) {
      ctx.issueCommand(this, {
        commandType: CommandType.COMMAND_TYPE_REQUEST_CANCEL_NEXUS_OPERATION,
        requestCancelNexusOperationCommandAttributes: { scheduledEventId: int64(this.scheduledEventId) },
      });
    }
    if (this.cancellationType === CancellationType.ABANDON || this.cancellationType === CancellationType.TRY_CANCEL) {
      this.state = 'cancelled';
      this.tell(ctx, { cancelled: this.cancelledFailure('Nexus operation cancelled after starting') });
    }
  }

  override onCommandRecorded(event: IHistoryEvent, _command: ICommand, _ctx: MachineContext): void {
    const type = eventTypeOf(event);
    if (type === EventType.EVENT_TYPE_NEXUS_OPERATION_SCHEDULED && this.state === 'scheduleCommandCreated') {
      this.scheduledEventId = eventIdOf(event);
      this.state = 'scheduled';
      return;
    }
    if (type === EventType.EVENT_TYPE_NEXUS_OPERATION_CANCEL_REQUESTED && this.cancelSent) return;
    throw new NondeterminismError(`History ${describeEvent(event)} does not fit ${this.label} in state ${this.state}.`);
  }

  override onEvent(event: IHistoryEvent, ctx: MachineContext): void {
    const type = eventTypeOf(event);
    if (type === EventType.EVENT_TYPE_NEXUS_OPERATION_CANCEL_REQUEST_COMPLETED || type === EventType.EVENT_TYPE_NEXUS_OPERATION_CANCEL_REQUEST_FAILED) {
      return this.onCancelRequestOutcome(event, ctx);
    }
    // Cancelled (before it ended) as far as the workflow knows: the operation may still start and end.
    if (this.state === 'cancelled' && (this.isOutcome(type) || type === EventType.EVENT_TYPE_NEXUS_OPERATION_STARTED)) return;
    if (this.state === 'scheduled' && type === EventType.EVENT_TYPE_NEXUS_OPERATION_STARTED) {
      this.state = 'started';
      this.operationToken = event.nexusOperationStartedEventAttributes?.operationToken ?? '';
      this.tellStart(ctx, { operationToken: this.operationToken });
      return;
    }
    if ((this.state === 'scheduled' || this.state === 'started') && this.isOutcome(type)) return this.onOutcome(event, ctx);
    super.onEvent(event, ctx);
  }

  private isOutcome(type: number): boolean {
    return (
      type === EventType.EVENT_TYPE_NEXUS_OPERATION_COMPLETED ||
      type === EventType.EVENT_TYPE_NEXUS_OPERATION_FAILED ||
      type === EventType.EVENT_TYPE_NEXUS_OPERATION_CANCELED ||
      type === EventType.EVENT_TYPE_NEXUS_OPERATION_TIMED_OUT
    );
  }

  /**
   * Completed / Failed / Canceled / TimedOut. Before a Started event, a completion is a
   * synchronous one (the start resolves as `startedSync`, then the result) and a failure is a
   * failed start; after it, each is the outcome of the started operation.
   */
  private onOutcome(event: IHistoryEvent, ctx: MachineContext): void {
    const beforeStart = this.state === 'scheduled';
    const e = event;
    if (e.nexusOperationCompletedEventAttributes) {
      this.state = 'completed';
      if (beforeStart) this.tellStart(ctx, { startedSync: true });
      this.tell(ctx, { completed: e.nexusOperationCompletedEventAttributes.result ?? {} });
      return;
    }
    const [state, failure, key] = e.nexusOperationFailedEventAttributes
      ? (['failed', e.nexusOperationFailedEventAttributes.failure, 'failed'] as const)
      : e.nexusOperationCanceledEventAttributes
        ? (['cancelled', e.nexusOperationCanceledEventAttributes.failure, 'cancelled'] as const)
        : (['timedOut', e.nexusOperationTimedOutEventAttributes?.failure, 'timedOut'] as const);
    this.state = state;
    const f = failure ?? { message: `Nexus operation ${key === 'timedOut' ? 'timed out' : key} but failure field was not populated` };
    if (beforeStart) this.tellStart(ctx, { failed: f });
    else this.tell(ctx, { [key]: f });
  }

  private onCancelRequestOutcome(event: IHistoryEvent, ctx: MachineContext): void {
    if (!this.cancelSent) return super.onEvent(event, ctx);
    if (this.cancellationType !== CancellationType.WAIT_CANCELLATION_REQUESTED || this.state !== 'started') return;
    const failed = event.nexusOperationCancelRequestFailedEventAttributes;
    if (failed) {
      const message = 'Nexus operation cancellation request failed';
      this.tell(ctx, { failed: this.failure(message, failed.failure ?? { message }) });
      return;
    }
    this.state = 'cancelled';
    this.tell(ctx, { cancelled: this.cancelledFailure('Nexus operation cancellation request completed') });
  }

  private tellStart(ctx: MachineContext, status: IStartStatus): void {
    if (this.told) return;
    if (status.failed) this.told = true;
    ctx.pushJob({ resolveNexusOperationStart: { seq: this.seq, ...status } });
  }

  private tell(ctx: MachineContext, result: INexusResult): void {
    if (this.told) return;
    this.told = true;
    ctx.pushJob({ resolveNexusOperation: { seq: this.seq, result } });
  }

  private cancelledFailure(message: string): IFailure {
    return this.failure(message, { canceledFailureInfo: {} });
  }

  /** As the official core builds the failures it makes itself (the server builds the others). */
  private failure(message: string, cause: IFailure): IFailure {
    return {
      message,
      cause,
      nexusOperationExecutionFailureInfo: {
        scheduledEventId: int64(this.scheduledEventId),
        endpoint: this.attrs.endpoint ?? '',
        service: this.attrs.service ?? '',
        operation: this.attrs.operation ?? '',
        operationToken: this.operationToken,
      },
    };
  }
}
