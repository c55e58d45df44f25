import { NondeterminismError } from '../errors.js';
import { describeEvent } from '../history-events.js';
import { CommandType, EventType, eventTypeOf, type ICommand, type IHistoryEvent } from '../proto-types.js';
import { CommandMachine, type MachineContext } from './command-machine.js';

type TimerState = 'startCommandCreated' | 'started' | 'cancelCommandCreated' | 'fired' | 'cancelled';

/**
 * One `sleep()`: StartTimer → TimerStarted → TimerFired (FireTimer job). A cancel before the
 * command was sent drops the command; after, it sends CancelTimer. Cancellation produces no job:
 * the workflow library resolves its own timer promise when it cancels.
 */
export class TimerMachine extends CommandMachine {
  private state: TimerState = 'startCommandCreated';

  constructor(readonly seq: number) {
    super();
  }

  get label(): string {
    return `timer ${this.seq}`;
  }

  get timerId(): string {
    return String(this.seq);
  }

  get isFinal(): boolean {
    return this.state === 'fired' || this.state === 'cancelled';
  }

  cancel(ctx: MachineContext): void {
    if (this.state === 'startCommandCreated') {
      this.cancelledBeforeSent = true;
      this.state = 'cancelled';
    } else if (this.state === 'started') {
      this.state = 'cancelCommandCreated';
      ctx.issueCommand(this, {
        commandType: CommandType.COMMAND_TYPE_CANCEL_TIMER,
        cancelTimerCommandAttributes: { timerId: this.timerId },
      });
    }
    // Cancelling a fired or already cancelled timer is a no-op, as the code may race the fire.
  }

  override onCommandRecorded(event: IHistoryEvent, _command: ICommand, _ctx: MachineContext): void {
    const type = eventTypeOf(event);
    if (type === EventType.EVENT_TYPE_TIMER_STARTED && this.state === 'startCommandCreated') {
      this.state = 'started';
    } else if (type === EventType.EVENT_TYPE_TIMER_CANCELED && this.state === 'cancelCommandCreated') {
      this.state = 'cancelled';
    } else {
      throw new NondeterminismError(`History ${describeEvent(event)} does not fit ${this.label} in state ${this.state}.`);
    }
  }

  override onEvent(event: IHistoryEvent, ctx: MachineContext): void {
    if (eventTypeOf(event) !== EventType.EVENT_TYPE_TIMER_FIRED || this.state !== 'started') {
      super.onEvent(event, ctx);
      return;
    }
    const firedId = event.timerFiredEventAttributes?.timerId;
    if (firedId !== this.timerId) {
      throw new NondeterminismError(
        `History ${describeEvent(event)} fired timer id '${firedId}', but the workflow code's timer is ${this.timerId}.`,
      );
    }
    this.state = 'fired';
    ctx.pushJob({ fireTimer: { seq: this.seq } });
  }
}
