import { NondeterminismError, UpdateProtocolError } from '../errors.js';
import { describeEvent } from '../history-events.js';
import { CommandType, EventType, eventTypeOf, type ICommand, type IFailure, type IHistoryEvent, type IPayload } from '../proto-types.js';
import { acceptanceMessage, rejectionMessage, responseMessage, type IncomingUpdate, type IProtocolMessage } from '../update-messages.js';
import { CommandMachine, type MachineContext } from './command-machine.js';

/** What the workflow code said about the update so far. */
type Phase = 'requested' | 'accepted' | 'completed' | 'rejected';

/**
 * One Workflow Update: request → accepted (or rejected) → completed with a result or a failure.
 *
 * Acceptance and completion each send a protocol message and a ProtocolMessage command naming it;
 * the command takes the message's place in the task's command sequence, and history records it as
 * WorkflowExecutionUpdateAccepted / …Completed, which replay matches like any command event.
 * A rejection is a message only: the server writes no event for it. Messages go out only for live
 * work; on replay the commands alone are matched against history.
 */
export class UpdateMachine extends CommandMachine {
  private phase: Phase = 'requested';
  private acceptCommand: ICommand | undefined;
  private completeCommand: ICommand | undefined;
  private acceptRecorded = false;
  private completeRecorded = false;

  constructor(
    readonly update: IncomingUpdate,
    private readonly send: (message: IProtocolMessage) => void,
  ) {
    super();
  }

  get updateId(): string {
    return this.update.request.meta?.updateId ?? '';
  }

  get label(): string {
    return `update '${this.updateId}' (${this.update.request.input?.name ?? ''})`;
  }

  get isFinal(): boolean {
    return this.phase === 'rejected' || this.completeRecorded;
  }

  accept(ctx: MachineContext): void {
    this.expectPhase('requested', 'accept');
    this.phase = 'accepted';
    this.acceptCommand = this.issue(acceptanceMessage(this.update), ctx);
  }

  /**
   * The workflow library says "rejected" both for a validator that threw (before acceptance) and
   * for a handler that failed (after): the first is a Rejection, the second a failed Response.
   */
  reject(failure: IFailure, ctx: MachineContext): void {
    if (this.phase === 'accepted') {
      this.finish({ failure }, ctx);
      return;
    }
    this.expectPhase('requested', 'reject');
    this.phase = 'rejected';
    if (!ctx.replaying) this.send(rejectionMessage(this.update, failure));
  }

  complete(result: IPayload, ctx: MachineContext): void {
    this.finish({ success: result }, ctx);
  }

  private finish(outcome: { success: IPayload } | { failure: IFailure }, ctx: MachineContext): void {
    this.expectPhase('accepted', 'complete');
    this.phase = 'completed';
    this.completeCommand = this.issue(responseMessage(this.update, outcome), ctx);
  }

  private issue(message: IProtocolMessage, ctx: MachineContext): ICommand {
    if (!ctx.replaying) this.send(message);
    const command: ICommand = {
      commandType: CommandType.COMMAND_TYPE_PROTOCOL_MESSAGE,
      protocolMessageCommandAttributes: { messageId: message.id },
    };
    ctx.issueCommand(this, command);
    return command;
  }

  private expectPhase(phase: Phase, what: string): void {
    if (this.phase !== phase) {
      throw new UpdateProtocolError(`The workflow tried to ${what} ${this.label}, which is already ${this.phase}; expected it to be ${phase}.`);
    }
  }

  override onCommandRecorded(event: IHistoryEvent, command: ICommand, _ctx: MachineContext): void {
    const type = eventTypeOf(event);
    if (command === this.acceptCommand && type === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED && !this.acceptRecorded) {
      this.acceptRecorded = true;
    } else if (command === this.completeCommand && type === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED && this.acceptRecorded) {
      this.completeRecorded = true;
    } else {
      throw new NondeterminismError(`History ${describeEvent(event)} does not fit ${this.label}, which the workflow code has ${this.phase}.`);
    }
  }
}
