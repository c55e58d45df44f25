/**
 * Events received from the server and not yet applied, cut into workflow-task sequences: each
 * sequence runs from just after one WorkflowTaskStarted to the next one that the workflow code
 * must see (inclusive). WFT heartbeats and failed/timed-out tasks do not end a sequence, as in the
 * official core, so both runtimes produce the same activations for the same history.
 */
import { HistoryError } from './errors.js';
import { isCommandEvent, isFinalExecutionEvent } from './history-events.js';
import { EventType, eventIdOf, eventTypeOf, type IHistoryEvent } from './proto-types.js';

const ENDS_TASK_ABNORMALLY = new Set<number>([
  EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
  EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
]);

export interface WftSequence {
  events: IHistoryEvent[];
  /** True when no event of this update follows: this is the newest task in history. */
  isLast: boolean;
}

export class HistoryBuffer {
  private events: IHistoryEvent[] = [];

  /** Appends events; ids must continue where the buffered ones end. */
  append(events: readonly IHistoryEvent[]): void {
    const last = this.events.at(-1);
    let expected = last ? eventIdOf(last) + 1 : undefined;
    for (const e of events) {
      const id = eventIdOf(e);
      if (expected !== undefined && id !== expected) {
        throw new HistoryError(`History is not contiguous: expected event ${expected}, got event ${id}.`);
      }
      expected = id + 1;
    }
    this.events.push(...events);
  }

  get isEmpty(): boolean {
    return this.events.length === 0;
  }

  /** Removes and returns the next sequence after `afterEventId`, or undefined when none is left. */
  take(afterEventId: number): WftSequence | undefined {
    this.events = this.events.filter((e) => eventIdOf(e) > afterEventId);
    if (this.events.length === 0) return undefined;
    const end = endOfNextSequence(this.events);
    const events = this.events.splice(0, end + 1);
    return { events, isLast: this.events.length === 0 };
  }

  /** The sequence after the next one without consuming it (used to look ahead for markers). */
  peek(): readonly IHistoryEvent[] {
    if (this.events.length === 0) return [];
    return this.events.slice(0, endOfNextSequence(this.events) + 1);
  }

  /** Attributes of the next WorkflowTaskCompleted at or after `fromEventId`. */
  peekNextCompleted(fromEventId: number): IHistoryEvent | undefined {
    return this.events.find(
      (e) => eventIdOf(e) >= fromEventId && eventTypeOf(e) === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
    );
  }
}

/**
 * Index of the last event of the first sequence in `events`. The caller always holds the whole
 * history up to the task being worked on, so an unfinished sequence simply runs to the end.
 */
function endOfNextSequence(events: readonly IHistoryEvent[]): number {
  let sawCommand = false;
  let sawCommandOrStart = false;
  for (let ix = 0; ix < events.length; ix++) {
    const e = events[ix]!;
    const type = eventTypeOf(e);
    if (isCommandEvent(e)) {
      sawCommand = true;
      sawCommandOrStart = true;
    }
    if (type === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED) sawCommandOrStart = true;
    if (isFinalExecutionEvent(e)) return ix;
    if (type !== EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED) continue;

    const next = events[ix + 1];
    if (next) {
      const nextType = eventTypeOf(next);
      // A task that failed or timed out was never seen by workflow code: keep going.
      if (ENDS_TASK_ABNORMALLY.has(nextType)) continue;
      if (nextType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) {
        const afterNext = events[ix + 2];
        // Completed then immediately scheduled again with nothing in between: a WFT heartbeat.
        if (afterNext && !sawCommand && eventTypeOf(afterNext) === EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED) {
          continue;
        }
        if (afterNext) return ix;
      }
    }
    if (sawCommandOrStart) return ix;
  }
  return events.length - 1;
}
