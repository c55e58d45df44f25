import type { ICommand, IHistoryEvent } from '../proto-types.js';
import { CommandMachine } from './command-machine.js';

/**
 * The four commands that end a run. Each is one command and one recorded event with nothing to
 * tell the workflow afterwards, so they share this shape and differ only in name.
 */
abstract class WorkflowExitMachine extends CommandMachine {
  private recorded = false;

  get isFinal(): boolean {
    return this.recorded;
  }

  override onCommandRecorded(_event: IHistoryEvent, _command: ICommand): void {
    this.recorded = true;
  }
}

export class CompleteWorkflowMachine extends WorkflowExitMachine {
  readonly label = 'workflow completion';
}

export class FailWorkflowMachine extends WorkflowExitMachine {
  readonly label = 'workflow failure';
}

export class CancelWorkflowMachine extends WorkflowExitMachine {
  readonly label = 'workflow cancellation';
}

export class ContinueAsNewMachine extends WorkflowExitMachine {
  readonly label = 'continue-as-new';
}
