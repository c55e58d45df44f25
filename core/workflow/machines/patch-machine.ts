import { NondeterminismError } from '../errors.js';
import { describeEvent } from '../history-events.js';
import type { ICommand, IHistoryEvent } from '../proto-types.js';
import { CommandMachine, type MachineContext } from './command-machine.js';

/**
 * One `patched(id)` / `deprecatePatch(id)`: a RecordMarker command named `core_patch` that history
 * records as MarkerRecorded. The workflow learns the answer from NotifyHasPatch jobs, sent ahead of
 * time when a marker is seen (see workflow-machines.ts), never from this machine.
 */
export class PatchMachine extends CommandMachine {
  private recorded = false;

  constructor(readonly patchId: string) {
    super();
  }

  get label(): string {
    return `patch '${this.patchId}'`;
  }

  get isFinal(): boolean {
    return this.recorded;
  }

  override onCommandRecorded(event: IHistoryEvent, _command: ICommand, _ctx: MachineContext): void {
    if (this.recorded) throw new NondeterminismError(`History ${describeEvent(event)} records ${this.label} twice.`);
    this.recorded = true;
  }
}

/**
 * The TemporalChangeVersion upsert the runtime itself adds after a patch marker (core flag 2), so
 * visibility can find workflows by patch. Workflow code never sees it.
 */
export class ChangeVersionUpsertMachine extends CommandMachine {
  private recorded = false;

  get label(): string {
    return 'TemporalChangeVersion search attribute upsert';
  }

  get isFinal(): boolean {
    return this.recorded;
  }

  override onCommandRecorded(): void {
    this.recorded = true;
  }
}
