import type proto from '@temporalio/proto';
import type { LocalActivityMarker } from '../local-activity-marker.js';

type IScheduleLocalActivity = proto.coresdk.workflow_commands.IScheduleLocalActivity;

/** What the run asks its worker to do with local activities after an activation. */
export interface LocalActivityRequests {
  /** Start these (the schedule command, with the original schedule time filled in). */
  schedule: IScheduleLocalActivity[];
  /** Cancel these running ones (by seq). */
  cancel: number[];
  /** The run is ending: cancel everything it still runs. */
  cancelAll: boolean;
}

/**
 * One run's local activity bookkeeping, beside the machines: requests not yet handed to the
 * executor, which ones are still outstanding (the workflow task cannot complete while any is),
 * and results read ahead from markers in history before the code asked for the activity.
 */
export class LocalActivityBook {
  private queued: IScheduleLocalActivity[] = [];
  private cancels: number[] = [];
  private readonly executing = new Set<number>();
  private readonly preResolved = new Map<number, LocalActivityMarker>();
  private terminating = false;

  requestExecution(attrs: IScheduleLocalActivity): void {
    this.queued.push(attrs);
  }

  /** Takes a request back before it reached the executor; returns it if it was still queued. */
  unqueue(seq: number): IScheduleLocalActivity | undefined {
    const i = this.queued.findIndex((q) => q.seq === seq);
    return i < 0 ? undefined : this.queued.splice(i, 1)[0];
  }

  requestCancel(seq: number): void {
    this.cancels.push(seq);
  }

  /** The activity resolved (or was abandoned): it no longer holds the workflow task open. */
  doneExecuting(seq: number): void {
    this.unqueue(seq);
    this.executing.delete(seq);
  }

  /** A workflow-ending command was issued: nothing the run still runs matters any more. */
  indicateTerminating(): void {
    this.terminating = true;
  }

  takeRequests(): LocalActivityRequests {
    if (this.terminating) {
      this.queued = [];
      this.cancels = [];
      return { schedule: [], cancel: [], cancelAll: true };
    }
    const schedule = this.queued;
    for (const s of schedule) this.executing.add(s.seq ?? 0);
    const cancel = this.cancels;
    this.queued = [];
    this.cancels = [];
    return { schedule, cancel, cancelAll: false };
  }

  /** Local activities requested or running and not resolved. */
  get outstanding(): number {
    return this.terminating ? 0 : this.executing.size + this.queued.length;
  }

  storePreResolved(marker: LocalActivityMarker): void {
    this.preResolved.set(marker.data.seq, marker);
  }

  takePreResolved(seq: number): LocalActivityMarker | undefined {
    const marker = this.preResolved.get(seq);
    this.preResolved.delete(seq);
    return marker;
  }
}
