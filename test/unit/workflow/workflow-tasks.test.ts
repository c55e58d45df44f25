import { describe, expect, it } from 'vitest';
import { hasErrorCode } from '../../../core/errors.js';
import { HistoryBuffer } from '../../../core/workflow/history-buffer.js';
import { eventIdOf } from '../../../core/workflow/proto-types.js';
import { HistoryBuilder } from './history-builder.js';
import { cmd, complete, newRun, variants } from './run-helpers.js';

describe('workflow task sequences', () => {
  it('a signal before the first task comes with initializeWorkflow; later ones in their own task', () => {
    const h = new HistoryBuilder().started().signaled('go', 'before').workflowTask().signaled('go', 'after').cancelRequested().workflowTask({ complete: false });
    const state = newRun();
    state.applyWorkflowTask({ events: h.events, previousStartedEventId: 4, startedEventId: h.lastStartedId });
    const first = state.nextActivation()!;
    expect(variants(first)).toEqual(['initializeWorkflow', 'signalWorkflow']);
    expect(first.isReplaying).toBe(true);
    expect(first.historyLength).toBe(4);
    expect(Number(first.timestamp!.seconds)).toBe(1_700_000_004);
    complete(state, []);
    const second = state.nextActivation()!;
    expect(variants(second)).toEqual(['signalWorkflow', 'cancelWorkflow']);
    expect(second.isReplaying).toBe(false);
    expect(second.jobs[0]!.signalWorkflow!.signalName).toBe('go');
    expect(Number(second.jobs[0]!.signalWorkflow!.originatingEventId)).toBe(6);
    complete(state, [cmd.complete()]);
    expect(state.takeTaskOutcome().kind).toBe('complete');
  });

  it('a failed workflow task is not an activation: its retry is', () => {
    const h = new HistoryBuilder().started().workflowTask({ complete: false }).failedTask().workflowTask({ complete: false });
    const buffer = new HistoryBuffer();
    buffer.append(h.events);
    expect(buffer.take(0)!.events.map(eventIdOf)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('a WFT heartbeat (completed then scheduled, no commands) does not end a sequence', () => {
    const h = new HistoryBuilder().started().workflowTask();
    const t = h.timerStarted(1);
    h.timerFired(1, t).workflowTask().workflowTask().workflowTask({ complete: false });
    const buffer = new HistoryBuffer();
    buffer.append(h.events);
    expect(buffer.take(0)!.events.map(eventIdOf)).toEqual([1, 2, 3]);
    expect(buffer.take(3)!.events.map(eventIdOf)).toEqual([4, 5, 6, 7, 8]);
    // Task 8 completed with no command and was rescheduled at once: 11 is what the code sees.
    expect(buffer.take(8)!.events.map(eventIdOf)).toEqual([9, 10, 11, 12, 13, 14]);
  });

  it('full history and task-by-task feeding give the same jobs', () => {
    const h = new HistoryBuilder().started().workflowTask();
    const t = h.timerStarted(1);
    h.timerFired(1, t).signaled('s', 1).workflowTask({ complete: false });
    const full = newRun();
    full.applyWorkflowTask({ events: h.events, previousStartedEventId: 3, startedEventId: h.lastStartedId });
    const fullJobs = [variants(full.nextActivation())];
    complete(full, [cmd.timer(1)]);
    fullJobs.push(variants(full.nextActivation()));

    const cached = newRun();
    cached.applyWorkflowTask({ events: h.events.slice(0, 3), previousStartedEventId: 0, startedEventId: 3 });
    const cachedJobs = [variants(cached.nextActivation())];
    complete(cached, [cmd.timer(1)]);
    expect(cached.takeTaskOutcome().kind).toBe('complete');
    cached.applyWorkflowTask({ events: h.events.slice(3), previousStartedEventId: 3, startedEventId: h.lastStartedId });
    cachedJobs.push(variants(cached.nextActivation()));
    expect(cachedJobs).toEqual(fullJobs);
    expect(fullJobs).toEqual([['initializeWorkflow'], ['signalWorkflow', 'fireTimer']]);
  });

  it('refuses unsupported commands with WORKFLOW_COMMAND_UNSUPPORTED naming the command', () => {
    const h = new HistoryBuilder().started().workflowTask({ complete: false });
    const state = newRun();
    state.applyWorkflowTask({ events: h.events, previousStartedEventId: 0, startedEventId: 3 });
    state.nextActivation();
    let error: unknown;
    try {
      // A command kind newer than this runtime's protos (every kind they know has a handler).
      complete(state, [{ scheduleFutureThing: { seq: 1 } } as never]);
    } catch (err) {
      error = err;
    }
    expect(hasErrorCode(error, 'WORKFLOW_COMMAND_UNSUPPORTED')).toBe(true);
    expect((error as Error).message).toContain('scheduleFutureThing');
    expect(state.takeTaskOutcome().kind).toBe('fail');
  });

  it('continue-as-new inherits the task queue and the start’s memo; eviction is an activation of its own', () => {
    const h = new HistoryBuilder().started({ memo: { fields: { a: { data: new Uint8Array([1]) } } } }).workflowTask({ complete: false });
    const state = newRun();
    state.applyWorkflowTask({ events: h.events, previousStartedEventId: 0, startedEventId: 3 });
    state.nextActivation();
    complete(state, [{ continueAsNewWorkflowExecution: { workflowType: 'wf', arguments: [] } }, cmd.timer(1)]);
    const outcome = state.takeTaskOutcome();
    if (outcome.kind !== 'complete') throw new Error(outcome.kind);
    // Terminal commands go last, after any command issued after them.
    const can = outcome.commands[1]!.continueAsNewWorkflowExecutionCommandAttributes!;
    expect(can.taskQueue?.name).toBe('tq');
    expect(Object.keys(can.memo?.fields ?? {})).toEqual(['a']);
    const eviction = state.evictionActivation();
    expect(variants(eviction)).toEqual(['removeFromCache']);
    expect(eviction.historyLength).toBe(3);
  });
});
