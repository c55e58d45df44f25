import * as proto from '../../connection/proto.js';
import { NondeterminismError } from '../errors.js';
import { describeEvent } from '../history-events.js';
import { CommandType, enumCaseName, EventType, eventTypeOf, type ICommand, type IHistoryEvent } from '../proto-types.js';
import { CommandMachine, type MachineContext } from './command-machine.js';

const FailedCause = proto.temporal.api.enums.v1.CancelExternalWorkflowExecutionFailedCause;

type CancelExternalState = 'commandCreated' | 'recorded' | 'cancelRequested' | 'failed';

/** Which workflow a RequestCancelExternalWorkflowExecution command targets. */
export interface CancelTarget {
  namespace: string;
  workflowId: string;
  /** Empty: the current run. */
  runId: string;
  /** Set when a parent cancels its own child: the server refuses any other target. */
  childWorkflowOnly: boolean;
  reason: string;
}

/**
 * One request to cancel another workflow: RequestCancelExternalWorkflowExecution → Initiated →
 * ExternalWorkflowExecutionCancelRequested (or Failed), resolved with a
 * ResolveRequestCancelExternalWorkflow job. Cancelling a started child uses this machine too, with
 * no `seq`: the child machine resolves the child itself, so nothing is told to the workflow here.
 */
export class CancelExternalMachine extends CommandMachine {
  private state: CancelExternalState = 'commandCreated';

  /** `seq` undefined: issued by the runtime for a child, never resolved to the workflow. */
  constructor(
    private readonly target: CancelTarget,
    private readonly seq: number | undefined,
  ) {
    super();
  }

  /** The workflow code's `getExternalWorkflowHandle(...).cancel()`. */
  static requestedByWorkflow(
    a: proto.coresdk.workflow_commands.IRequestCancelExternalWorkflowExecution,
    run: { namespace: string; runId: string },
  ): CancelExternalMachine {
    const we = a.workflowExecution;
    const target: CancelTarget = {
      namespace: we?.namespace || run.namespace,
      workflowId: we?.workflowId ?? '',
      runId: we?.runId ?? '',
      childWorkflowOnly: false,
      // The official core's wording: the target sees it as its cancel request's reason.
      reason: `Cancel requested by workflow with run id ${run.runId} with reason: ${a.reason ?? ''}`,
    };
    return new CancelExternalMachine(target, a.seq ?? 0);
  }

  get label(): string {
    const who = `workflow '${this.target.workflowId}'`;
    return this.seq === undefined ? `cancel request for child ${who}` : `external cancel ${this.seq} (${who})`;
  }

  get isFinal(): boolean {
    return this.state === 'cancelRequested' || this.state === 'failed';
  }

  /** The API command for this request. */
  command(): ICommand {
    const t = this.target;
    return {
      commandType: CommandType.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION,
      requestCancelExternalWorkflowExecutionCommandAttributes: {
        namespace: t.namespace,
        workflowId: t.workflowId,
        runId: t.runId,
        childWorkflowOnly: t.childWorkflowOnly,
        reason: t.reason,
      },
    };
  }

  override onCommandRecorded(event: IHistoryEvent, _command: ICommand, _ctx: MachineContext): void {
    if (eventTypeOf(event) !== EventType.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED || this.state !== 'commandCreated') {
      throw new NondeterminismError(`History ${describeEvent(event)} does not fit ${this.label} in state ${this.state}.`);
    }
    this.state = 'recorded';
  }

  override onEvent(event: IHistoryEvent, ctx: MachineContext): void {
    if (this.state !== 'recorded') return super.onEvent(event, ctx);
    switch (eventTypeOf(event)) {
      case EventType.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED:
        this.state = 'cancelRequested';
        this.resolve(ctx, null);
        return;
      case EventType.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED: {
        this.state = 'failed';
        const cause = event.requestCancelExternalWorkflowExecutionFailedEventAttributes?.cause ?? 0;
        // The official core's wording and failure type, which workflow code may match on.
        const reason = cause === FailedCause.CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_UNSPECIFIED ? 'unknown' : 'not found';
        this.resolve(ctx, {
          message: `Unable to cancel external workflow because ${reason}`,
          applicationFailureInfo: { type: enumCaseName(FailedCause, cause, 'CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_') },
        });
        return;
      }
    }
    super.onEvent(event, ctx);
  }

  private resolve(ctx: MachineContext, failure: proto.temporal.api.failure.v1.IFailure | null): void {
    if (this.seq !== undefined) ctx.pushJob({ resolveRequestCancelExternalWorkflow: { seq: this.seq, failure } });
  }
}
