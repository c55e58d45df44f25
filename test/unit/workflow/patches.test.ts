import proto from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { decodePatchMarker } from '../../../core/workflow/patch-marker.js';
import { HistoryBuilder } from './history-builder.js';
import { cmd, complete, newRun, variants } from './run-helpers.js';

const CommandType = proto.temporal.api.enums.v1.CommandType;

function replay(h: HistoryBuilder) {
  const state = newRun();
  state.applyWorkflowTask({ events: h.events, previousStartedEventId: h.lastStartedId, startedEventId: h.lastStartedId });
  return state;
}

describe('patches', () => {
  it('new execution: the marker, then the TemporalChangeVersion upsert, then the code’s commands', () => {
    const h = new HistoryBuilder().started().workflowTask({ complete: false });
    const state = newRun();
    state.applyWorkflowTask({ events: h.events, previousStartedEventId: 0, startedEventId: h.lastStartedId });
    expect(variants(state.nextActivation())).toEqual(['initializeWorkflow']);
    complete(state, [cmd.patch('p1'), cmd.patch('p1'), cmd.timer(1)]);
    const outcome = state.takeTaskOutcome();
    if (outcome.kind !== 'complete') throw new Error(outcome.kind);
    expect(outcome.commands.map((c) => c.commandType)).toEqual([
      CommandType.COMMAND_TYPE_RECORD_MARKER,
      CommandType.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
      CommandType.COMMAND_TYPE_START_TIMER,
    ]);
    const marker = outcome.commands[0]!.recordMarkerCommandAttributes!;
    expect(marker.markerName).toBe('core_patch');
    expect(decodePatchMarker(marker.details!)).toEqual({ patchId: 'p1', deprecated: false });
    expect(outcome.sdkMetadata.coreUsedFlags?.sort()).toEqual([1, 2, 3]);
  });

  it('replay with the marker in history: notifyHasPatch comes in the activation that asked', () => {
    const h = new HistoryBuilder().started().workflowTask().patchMarker('p1').changeVersionUpsert(['p1']);
    const t = h.timerStarted(1);
    h.timerFired(1, t).workflowTask();
    const state = replay(h);
    expect(variants(state.nextActivation())).toEqual(['initializeWorkflow', 'notifyHasPatch']);
    complete(state, [cmd.patch('p1'), cmd.timer(1)]);
    expect(variants(state.nextActivation())).toEqual(['fireTimer']);
  });

  it('replay without the marker: no notifyHasPatch, and patched() sends nothing', () => {
    const h = new HistoryBuilder().started().workflowTask();
    const t = h.timerStarted(1);
    h.timerFired(1, t).workflowTask();
    const state = replay(h);
    expect(variants(state.nextActivation())).toEqual(['initializeWorkflow']);
    // Even if the library asked for a marker during replay, history has none to match.
    complete(state, [cmd.patch('p1'), cmd.timer(1)]);
    expect(variants(state.nextActivation())).toEqual(['fireTimer']);
  });

  it('a deprecated marker in history may be absent from the code', () => {
    const h = new HistoryBuilder().started().workflowTask().patchMarker('p1', true).changeVersionUpsert(['p1']);
    const t = h.timerStarted(1);
    h.timerFired(1, t).workflowTask();
    const state = replay(h);
    state.nextActivation();
    complete(state, [cmd.timer(1)]);
    expect(variants(state.nextActivation())).toEqual(['fireTimer']);
  });

  it('history without the flag-2 upsert (older SDKs) replays without expecting one', () => {
    const h = new HistoryBuilder().started().workflowTask({ sdkMetadata: { coreUsedFlags: [1] } }).patchMarker('p1');
    const t = h.timerStarted(1);
    h.timerFired(1, t).workflowTask();
    const state = replay(h);
    state.nextActivation();
    complete(state, [cmd.patch('p1'), cmd.timer(1)]);
    expect(variants(state.nextActivation())).toEqual(['fireTimer']);
  });

  it('a non-deprecated marker absent from the code is nondeterminism naming the patch', () => {
    const h = new HistoryBuilder().started().workflowTask().patchMarker('p1');
    const t = h.timerStarted(1);
    h.timerFired(1, t).workflowTask();
    const state = replay(h);
    state.nextActivation();
    expect(() => complete(state, [cmd.timer(1)])).toThrow(/event 5 \(MarkerRecorded.*patch 'p1'.*patched\('p1'\)/);
  });
});
