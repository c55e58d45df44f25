/**
 * The thread's side of the status cells the host reads (see `ThreadConfig.status`): which task
 * runs since when, and at what stage, so the host can name and end an activation that never
 * returns without asking the (stuck) thread.
 */
import { THREAD_STAGES, type ThreadStage } from '../protocol.js';

const CODES = new Map<string, number>(THREAD_STAGES.map((stage, i) => [stage, i]));
let cells: Float64Array | undefined;

/** Called once by the thread entry with its `workerData.status`. */
export function useStatusCells(buffer: SharedArrayBuffer): void {
  cells = new Float64Array(buffer);
}

/** A task tagged `tag` (0: untagged) starts now; its clock starts with its first call into workflow code. */
export function taskStarted(tag: number): void {
  if (cells === undefined) return;
  cells[0] = 0;
  cells[1] = tag;
  cells[2] = 0;
  cells[3] = Date.now();
}

/**
 * A call into workflow code starts now: the deadline runs from here, as a vm timeout's would, so
 * decoding the task or compiling a bundle on a busy machine never counts against the workflow.
 */
export function driveStarted(): void {
  if (cells !== undefined) cells[0] = Date.now();
}

/** The call into workflow code returned (or threw). */
export function driveEnded(): void {
  if (cells !== undefined) cells[0] = 0;
}

export function taskEnded(): void {
  if (cells === undefined) return;
  cells[0] = 0;
  cells[3] = 0;
}

/** Records what the running task is doing; names outside {@link THREAD_STAGES} leave the cell as is. */
export function setStage(stage: ThreadStage | string): void {
  const code = CODES.get(stage);
  if (cells !== undefined && code !== undefined) cells[2] = code;
}
