import * as proto from '../../connection/proto.js';
import { childCancelTarget } from '../child-workflow-commands.js';
import { mergeAnnotations, withAnnotations, type CommandAnnotations } from '../command-annotations.js';
import { HistoryError, NondeterminismError } from '../errors.js';
import { describeEvent } from '../history-events.js';
import { EventType, eventIdOf, eventTypeOf, int64, type ICommand, type IFailure, type IHistoryEvent } from '../proto-types.js';
import { CancelExternalMachine } from './cancel-external-machine.js';
import { CommandMachine, type MachineContext } from './command-machine.js';

type IStartChild = proto.coresdk.workflow_commands.IStartChildWorkflowExecution;
type IChildResult = proto.coresdk.child_workflow.IChildWorkflowResult;
const CancellationType = proto.coresdk.child_workflow.ChildWorkflowCancellationType;
const RetryState = proto.temporal.api.enums.v1.RetryState;
const TimeoutType = proto.temporal.api.enums.v1.TimeoutType;

type ChildState =
  | 'startCommandCreated'
  | 'startRecorded'
  | 'started'
  | 'startFailed'
  | 'completed'
  | 'failed'
  | 'timedOut'
  | 'terminated'
  | 'cancelled';

const RESOLVED: ReadonlySet<ChildState> = new Set(['startFailed', 'completed', 'failed', 'timedOut', 'terminated']);

/**
 * One child workflow: StartChildWorkflowExecution → Initiated → Started (or StartFailed) →
 * Completed / Failed / TimedOut / Canceled / Terminated. The start resolves with a
 * ResolveChildWorkflowExecutionStart job, the outcome with ResolveChildWorkflowExecution, each
 * failure wrapped in a ChildWorkflowExecutionFailureInfo as the official core wraps it.
 *
 * Cancellation follows the child's cancellation type. Before the start was recorded, the command
 * is dropped and the start resolves as cancelled. After, every type but ABANDON sends a
 * child-only RequestCancelExternalWorkflowExecution (through a CancelExternalMachine of its own);
 * ABANDON and TRY_CANCEL resolve as cancelled at once, the WAIT_* types when history says how the
 * child ended (the official core treats WAIT_CANCELLATION_REQUESTED like WAIT_CANCELLATION_COMPLETED).
 */
export class ChildWorkflowMachine extends CommandMachine {
  private state: ChildState = 'startCommandCreated';
  private initiatedEventId = 0;
  private startedEventId = 0;
  private runId = '';
  private seenCancelledEvent = false;
  private readonly cancellationType: number;

  constructor(
    private readonly attrs: IStartChild,
    private readonly annotations: CommandAnnotations,
  ) {
    super();
    this.cancellationType = attrs.cancellationType ?? CancellationType.ABANDON;
  }

  get seq(): number {
    return this.attrs.seq ?? 0;
  }

  get label(): string {
    return `child workflow ${this.seq} (id '${this.attrs.workflowId}', type '${this.attrs.workflowType}')`;
  }

  get isFinal(): boolean {
    return RESOLVED.has(this.state) || this.cancelledBeforeSent;
  }

  private get resolvesOnCancel(): boolean {
    return this.cancellationType === CancellationType.ABANDON || this.cancellationType === CancellationType.TRY_CANCEL;
  }

  cancel(ctx: MachineContext, reason: string, override: CommandAnnotations): void {
    if (this.state === 'startCommandCreated') {
      this.cancelledBeforeSent = true;
      this.state = 'cancelled';
      const failure = this.failure(`Child Workflow Execution cancelled before scheduled: ${reason}`, { canceledFailureInfo: {} }, RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE);
      ctx.pushJob({ resolveChildWorkflowExecutionStart: { seq: this.seq, cancelled: { failure } } });
      return;
    }
    // Once resolved (or already cancelled), a cancel changes nothing.
    if (this.state !== 'startRecorded' && this.state !== 'started') return;
    if (this.cancellationType !== CancellationType.ABANDON) {
      const request = new CancelExternalMachine(childCancelTarget(this.attrs, this.runId, reason), undefined);
      ctx.issueCommand(request, withAnnotations(request.command(), mergeAnnotations(this.annotations, override)));
    }
    if (this.resolvesOnCancel) {
      this.state = 'cancelled';
      this.resolveCancelled(ctx);
    }
  }

  override onCommandRecorded(event: IHistoryEvent, _command: ICommand, _ctx: MachineContext): void {
    if (eventTypeOf(event) !== EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED || this.state !== 'startCommandCreated') {
      throw new NondeterminismError(`History ${describeEvent(event)} does not fit ${this.label} in state ${this.state}.`);
    }
    this.initiatedEventId = eventIdOf(event);
    this.state = 'startRecorded';
  }

  override onEvent(event: IHistoryEvent, ctx: MachineContext): void {
    const type = eventTypeOf(event);
    if (this.state === 'cancelled') return this.afterCancel(event, ctx);
    if (this.state === 'startRecorded') {
      if (type === EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED) {
        this.state = 'started';
        this.startedEventId = eventIdOf(event);
        this.runId = event.childWorkflowExecutionStartedEventAttributes?.workflowExecution?.runId ?? '';
        ctx.pushJob({ resolveChildWorkflowExecutionStart: { seq: this.seq, succeeded: { runId: this.runId } } });
        return;
      }
      if (type === EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED) {
        this.state = 'startFailed';
        const cause = event.startChildWorkflowExecutionFailedEventAttributes?.cause ?? 0;
        const failed = { workflowId: this.attrs.workflowId, workflowType: this.attrs.workflowType, cause: cause as number };
        ctx.pushJob({ resolveChildWorkflowExecutionStart: { seq: this.seq, failed } });
        return;
      }
    }
    if (this.state === 'started' && this.onOutcome(event, ctx)) return;
    super.onEvent(event, ctx);
  }

  /** Applies a Completed/Failed/TimedOut/Canceled/Terminated event; false for any other event. */
  private onOutcome(event: IHistoryEvent, ctx: MachineContext): boolean {
    const NON_RETRYABLE = RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE;
    switch (eventTypeOf(event)) {
      case EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED: {
        const payloads = event.childWorkflowExecutionCompletedEventAttributes?.result?.payloads ?? [];
        if (payloads.length > 1) throw new HistoryError(`Child workflow result of ${describeEvent(event)} holds more than one payload.`);
        this.state = 'completed';
        this.resolve(ctx, { completed: { result: payloads[0] ?? null } });
        return true;
      }
      case EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED: {
        const a = event.childWorkflowExecutionFailedEventAttributes ?? {};
        this.state = 'failed';
        // The child's own failure stays unchanged as the cause.
        this.resolve(ctx, { failed: { failure: this.failure('Child Workflow execution failed', a.failure ?? null, a.retryState ?? 0) } });
        return true;
      }
      case EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT: {
        const retryState = event.childWorkflowExecutionTimedOutEventAttributes?.retryState ?? 0;
        const cause: IFailure = { message: 'Timed out', timeoutFailureInfo: { timeoutType: TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE } };
        this.state = 'timedOut';
        this.resolve(ctx, { failed: { failure: this.failure('Child Workflow execution timed out', cause, retryState) } });
        return true;
      }
      case EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED: {
        const cause: IFailure = { message: 'Terminated', terminatedFailureInfo: {} };
        this.state = 'terminated';
        this.resolve(ctx, { failed: { failure: this.failure('Child Workflow execution terminated', cause, NON_RETRYABLE) } });
        return true;
      }
      case EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED:
        this.state = 'cancelled';
        this.seenCancelledEvent = true;
        this.resolveCancelled(ctx);
        return true;
    }
    return false;
  }

  /**
   * Events after the workflow saw the child as cancelled. Its start may still be recorded; its end
   * only matters as a consistency check: a child resolved on cancel may end any way, but one that
   * waited for the cancellation must not end again.
   */
  private afterCancel(event: IHistoryEvent, ctx: MachineContext): void {
    switch (eventTypeOf(event)) {
      case EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED:
      case EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED:
        return;
      case EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED:
        if (this.seenCancelledEvent) throw new HistoryError(`History ${describeEvent(event)} cancels ${this.label} a second time.`);
        this.seenCancelledEvent = true;
        return;
      case EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED:
      case EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED:
      case EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT:
      case EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED:
        if (this.resolvesOnCancel) return;
        throw new NondeterminismError(
          `History ${describeEvent(event)} ends ${this.label} after it was cancelled; a child that waits for its cancellation cannot end again.`,
        );
    }
    super.onEvent(event, ctx);
  }

  private resolve(ctx: MachineContext, result: IChildResult): void {
    ctx.pushJob({ resolveChildWorkflowExecution: { seq: this.seq, result } });
  }

  private resolveCancelled(ctx: MachineContext): void {
    const failure = this.failure('Child Workflow execution cancelled', { canceledFailureInfo: {} }, RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE);
    this.resolve(ctx, { cancelled: { failure } });
  }

  private failure(message: string, cause: IFailure | null, retryState: number): IFailure {
    return {
      message,
      cause,
      childWorkflowExecutionFailureInfo: {
        namespace: this.attrs.namespace ?? '',
        workflowType: { name: this.attrs.workflowType ?? '' },
        initiatedEventId: int64(this.initiatedEventId),
        startedEventId: int64(this.startedEventId),
        retryState,
        workflowExecution: { workflowId: this.attrs.workflowId ?? '', runId: this.runId },
      },
    };
  }
}
