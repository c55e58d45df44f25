import type { temporal } from '../connection/proto.js';

type ICommand = temporal.api.command.v1.ICommand;
type ActivityTask = temporal.api.workflowservice.v1.IPollActivityTaskQueueResponse;

/** The entity's activity side, as eager execution needs it. */
export interface EagerActivitySink {
  /** Takes up to `n` free activity slots now; returns how many. */
  reserve(n: number): number;
  /** Gives back slots the server did not fill. */
  release(n: number): void;
  /** Runs a task the server handed over with the workflow-task answer, in a reserved slot. */
  run(task: ActivityTask): void;
}

/**
 * Eager activity execution, as the official SDK does it: a ScheduleActivityTask on this entity's
 * own queue asks the server to return the activity task with the answer to
 * RespondWorkflowTaskCompleted, which saves an activity poll round trip and the matching hop.
 * Only as many commands keep the request as activity slots could be reserved; the others are
 * dispatched through the task queue as usual.
 *
 * Returns the number of slots reserved (to be filled or released by {@link settleEager}).
 */
export function requestEager(commands: ICommand[], taskQueue: string, sink: EagerActivitySink | undefined): number {
  const eligible = commands.filter((c) => {
    const a = c.scheduleActivityTaskCommandAttributes;
    return a?.requestEagerExecution && a.taskQueue?.name === taskQueue;
  });
  const reserved = sink && eligible.length ? sink.reserve(eligible.length) : 0;
  for (const c of commands) {
    const a = c.scheduleActivityTaskCommandAttributes;
    if (a?.requestEagerExecution) a.requestEagerExecution = false;
  }
  for (const c of eligible.slice(0, reserved)) c.scheduleActivityTaskCommandAttributes!.requestEagerExecution = true;
  return reserved;
}

/** Runs what the server handed over and releases the slots it did not fill. */
export function settleEager(reserved: number, tasks: ActivityTask[] | null | undefined, sink: EagerActivitySink | undefined): void {
  if (!sink || reserved === 0) return;
  const given = (tasks ?? []).slice(0, reserved);
  for (const t of given) sink.run(t);
  sink.release(reserved - given.length);
}
