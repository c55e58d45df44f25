/**
 * Where local activities meet the run's event loop (workflow-machines.ts): markers read ahead,
 * markers met on replay that no command stands for, the first new workflow task, and results
 * from the executor. Kept here so the event loop only calls in.
 */
import type { DispatchContext } from './command-dispatch.js';
import { NondeterminismError } from './errors.js';
import { describeEvent } from './history-events.js';
import { localActivityMarkerOf } from './local-activity-marker.js';
import { LocalActivityMachine, type LocalActivityResolution } from './machines/local-activity-machine.js';
import type { IHistoryEvent } from './proto-types.js';

export function localActivityKey(seq: number): string {
  return `localActivity:${seq}`;
}

function machineOf(ctx: DispatchContext, seq: number): LocalActivityMachine | undefined {
  const machine = ctx.bySeq.get(localActivityKey(seq));
  return machine instanceof LocalActivityMachine ? machine : undefined;
}

/**
 * Markers in the next workflow task resolve their activities now, so the code sees each result in
 * the same activation it did originally; markers of activities not scheduled yet wait for them.
 */
export function readLocalActivityMarkersAhead(events: readonly IHistoryEvent[], ctx: DispatchContext): void {
  for (const e of events) {
    const marker = localActivityMarkerOf(e);
    if (!marker) continue;
    const machine = machineOf(ctx, marker.data.seq);
    if (machine?.awaitsMarker) machine.resolveFromMarker(marker, ctx);
    else ctx.localActivities.storePreResolved(marker);
  }
}

/**
 * A local activity marker in history. Returns true when its machine took it directly (replay:
 * no command of ours stands for it); false when it must be matched against the command queue.
 */
export function takeLocalActivityMarker(event: IHistoryEvent, ctx: DispatchContext): boolean {
  const marker = localActivityMarkerOf(event);
  if (!marker) return false;
  const machine = machineOf(ctx, marker.data.seq);
  if (!machine) {
    throw new NondeterminismError(
      `Nondeterminism at ${describeEvent(event)}: history records local activity ${marker.data.seq} ` +
        `(type '${marker.data.activityType}'), but the workflow code did not schedule it.`,
    );
  }
  if (!machine.takesMarkerDirectly(event)) return false;
  machine.onMarkerEvent(event, ctx);
  return true;
}

/** The first workflow task the code has not seen: activities still waiting for a marker run now. */
export function localActivitiesOnNewTask(ctx: DispatchContext): void {
  for (const machine of ctx.bySeq.values()) if (machine instanceof LocalActivityMachine) machine.nonReplayTaskStarted(ctx);
}

export function resolveLocalActivity(resolution: LocalActivityResolution, ctx: DispatchContext): void {
  // A run evicted and rebuilt may hear of an activity its new state never scheduled: ignore it.
  machineOf(ctx, resolution.seq)?.resolve(resolution, ctx);
}
