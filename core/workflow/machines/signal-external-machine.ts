import * as proto from '../../connection/proto.js';
import { HistoryError, NondeterminismError } from '../errors.js';
import { describeEvent } from '../history-events.js';
import { CommandType, enumCaseName, EventType, eventTypeOf, type ICommand, type IFailure, type IHistoryEvent } from '../proto-types.js';
import { CommandMachine, type MachineContext } from './command-machine.js';

type ISignalExternal = proto.coresdk.workflow_commands.ISignalExternalWorkflowExecution;
const FailedCause = proto.temporal.api.enums.v1.SignalExternalWorkflowExecutionFailedCause;

type SignalExternalState = 'commandCreated' | 'recorded' | 'signaled' | 'failed' | 'cancelled';

/** Why the official core says a signal failed, by cause. */
const FAILURE_REASONS = new Map<number, string>([
  [FailedCause.SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND, 'it was not found'],
  [FailedCause.SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_NAMESPACE_NOT_FOUND, 'it was not found'],
  [FailedCause.SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_SIGNAL_COUNT_LIMIT_EXCEEDED, 'The per-workflow signal limit was exceeded'],
]);

/**
 * One signal to another workflow (an external handle, or a child's handle):
 * SignalExternalWorkflowExecution → Initiated → ExternalWorkflowExecutionSignaled (or Failed),
 * resolved with a ResolveSignalExternalWorkflow job. A cancel before the command was sent drops it
 * and resolves at once as cancelled; once sent, a signal cannot be taken back.
 */
export class SignalExternalMachine extends CommandMachine {
  private state: SignalExternalState = 'commandCreated';

  constructor(private readonly attrs: ISignalExternal) {
    super();
  }

  get seq(): number {
    return this.attrs.seq ?? 0;
  }

  get label(): string {
    return `signal ${this.seq} ('${this.attrs.signalName}')`;
  }

  get isFinal(): boolean {
    return this.state === 'signaled' || this.state === 'failed' || this.state === 'cancelled';
  }

  /** The API command; a child target is the child's id in this namespace, child-only. */
  command(namespace: string): ICommand {
    const a = this.attrs;
    const child = a.childWorkflowId;
    const target = child ? { namespace, workflowId: child, runId: '' } : a.workflowExecution;
    if (!target) throw new HistoryError(`SignalExternalWorkflowExecution ${this.seq} names no target workflow.`);
    const headers = a.headers && Object.keys(a.headers).length > 0 ? { fields: a.headers } : null;
    return {
      commandType: CommandType.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION,
      signalExternalWorkflowExecutionCommandAttributes: {
        namespace: target.namespace,
        execution: { workflowId: target.workflowId, runId: target.runId },
        signalName: a.signalName,
        input: { payloads: a.args ?? [] },
        header: headers,
        childWorkflowOnly: !!child,
      },
    };
  }

  cancel(ctx: MachineContext): void {
    if (this.state !== 'commandCreated') return;
    this.cancelledBeforeSent = true;
    this.state = 'cancelled';
    this.resolve(ctx, { message: 'Signal was cancelled before being sent', canceledFailureInfo: {} });
  }

  override onCommandRecorded(event: IHistoryEvent, _command: ICommand, _ctx: MachineContext): void {
    if (eventTypeOf(event) !== EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED || this.state !== 'commandCreated') {
      throw new NondeterminismError(`History ${describeEvent(event)} does not fit ${this.label} in state ${this.state}.`);
    }
    this.state = 'recorded';
  }

  override onEvent(event: IHistoryEvent, ctx: MachineContext): void {
    if (this.state !== 'recorded') return super.onEvent(event, ctx);
    switch (eventTypeOf(event)) {
      case EventType.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED:
        this.state = 'signaled';
        this.resolve(ctx, null);
        return;
      case EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED: {
        this.state = 'failed';
        const cause = event.signalExternalWorkflowExecutionFailedEventAttributes?.cause ?? 0;
        this.resolve(ctx, {
          message: `Unable to signal external workflow because ${FAILURE_REASONS.get(cause) ?? 'unknown'}`,
          applicationFailureInfo: { type: enumCaseName(FailedCause, cause, 'SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_') },
        });
        return;
      }
    }
    super.onEvent(event, ctx);
  }

  private resolve(ctx: MachineContext, failure: IFailure | null): void {
    ctx.pushJob({ resolveSignalExternalWorkflow: { seq: this.seq, failure } });
  }
}
