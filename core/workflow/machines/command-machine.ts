/**
 * The contract between the run's event loop and the small per-command state machines.
 * A machine owns one workflow-level operation (a timer, an activity, a patch...): it is created
 * from a lang command, issues API commands, and consumes the history events that concern it.
 */
import { NondeterminismError } from '../errors.js';
import { describeEvent } from '../history-events.js';
import type { InternalFlags } from '../internal-flags.js';
import type { ICommand, IHistoryEvent, IWorkflowActivationJob } from '../proto-types.js';

/** What a machine may do to the run while it handles a command or an event. */
export interface MachineContext {
  /** Queues a job for the next activation. */
  pushJob(job: IWorkflowActivationJob): void;
  /** Queues an API command of this machine for the current workflow task. */
  issueCommand(machine: CommandMachine, command: ICommand): void;
  readonly flags: InternalFlags;
  /** True while the events being applied come from history the code already produced. */
  readonly replaying: boolean;
  /** True when the event being handled belongs to the newest workflow task in history. */
  readonly inLastTask: boolean;
}

export abstract class CommandMachine {
  /** Set when the code cancelled before the command was ever sent: its command is dropped. */
  cancelledBeforeSent = false;

  /** For messages: `timer 1`, `activity 3 (greet)`. */
  abstract readonly label: string;

  /** No further event may concern this machine: it leaves the event-id index. */
  abstract get isFinal(): boolean;

  /**
   * The server recorded one of this machine's commands (already checked to be of the right type
   * and key by command-matching.ts). `eventId` indexes the machine for later events.
   */
  abstract onCommandRecorded(event: IHistoryEvent, command: ICommand, ctx: MachineContext): void;

  /** A later, non-command event that refers back to this machine (timer fired, activity completed...). */
  onEvent(event: IHistoryEvent, _ctx: MachineContext): void {
    throw new NondeterminismError(`History ${describeEvent(event)} refers to ${this.label}, which does not expect it.`);
  }
}

/**
 * A machine whose one command is done once history records it, with nothing to tell the workflow
 * afterwards (search attribute and memo upserts).
 */
export abstract class RecordOnlyMachine extends CommandMachine {
  private recorded = false;

  get isFinal(): boolean {
    return this.recorded;
  }

  override onCommandRecorded(event: IHistoryEvent, _command: ICommand, _ctx: MachineContext): void {
    if (this.recorded) throw new NondeterminismError(`History ${describeEvent(event)} records ${this.label} twice.`);
    this.recorded = true;
  }
}
