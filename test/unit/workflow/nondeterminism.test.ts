import proto from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { hasErrorCode } from '../../../core/errors.js';
import { NondeterminismError } from '../../../core/workflow/errors.js';
import { HistoryBuilder } from './history-builder.js';
import { cmd, complete, newRun } from './run-helpers.js';

/** WFT 1 → timer 1 (event 5) → fired → WFT 2 → activity 1 'greet' (event 10) → ... */
function timerThenActivity(): HistoryBuilder {
  const h = new HistoryBuilder().started().workflowTask();
  const timer = h.timerStarted(1);
  h.timerFired(1, timer).workflowTask();
  h.activityScheduled('2', 'greet');
  return h;
}

function replay(h: HistoryBuilder) {
  const state = newRun();
  state.applyWorkflowTask({ events: h.events, previousStartedEventId: h.lastStartedId, startedEventId: h.lastStartedId });
  state.nextActivation();
  return state;
}

describe('nondeterminism detection on replay', () => {
  it('accepts the commands history recorded', () => {
    const state = replay(timerThenActivity());
    complete(state, [cmd.timer(1)]);
    expect(state.nextActivation()?.jobs[0]?.fireTimer?.seq).toBe(1);
    complete(state, [cmd.activity(2, 'greet')]);
  });

  it('names the event id, what history holds and what the code did for a different command kind', () => {
    const state = replay(timerThenActivity());
    let error: unknown;
    try {
      complete(state, [cmd.activity(1, 'greet')]);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(NondeterminismError);
    expect(hasErrorCode(error, 'WORKFLOW_NONDETERMINISM')).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain('event 5 (TimerStarted');
    expect(message).toContain("timer id '1'");
    expect(message).toContain("ScheduleActivityTask (activity id '1', type 'greet')");
  });

  it('detects a changed activity type', () => {
    const state = replay(timerThenActivity());
    complete(state, [cmd.timer(1)]);
    state.nextActivation();
    expect(() => complete(state, [cmd.activity(2, 'farewell')])).toThrow(/event 10 \(ActivityTaskScheduled.*type 'greet'.*type 'farewell'.*activity type differs/);
  });

  it('detects a changed timer id', () => {
    const state = replay(timerThenActivity());
    expect(() => complete(state, [cmd.timer(7)])).toThrow(/event 5 \(TimerStarted: timer id '1'\).*timer id '7'/);
  });

  it('detects a command history does not have', () => {
    const state = replay(timerThenActivity());
    expect(() => complete(state, [cmd.timer(1), cmd.timer(2)])).toThrow(/StartTimer \(timer id '2'\).*history continues with event 6 \(TimerFired/);
  });

  it('detects a missing command', () => {
    const state = replay(timerThenActivity());
    expect(() => complete(state, [])).toThrow(/event 5 \(TimerStarted.*no command/);
  });

  it('reports the failure to send after the throw', () => {
    const state = replay(timerThenActivity());
    expect(() => complete(state, [])).toThrow(NondeterminismError);
    expect(state.nextActivation()).toBeUndefined();
    const outcome = state.takeTaskOutcome();
    expect(outcome.kind).toBe('fail');
    if (outcome.kind === 'fail') {
      expect(outcome.cause).toBe(proto.temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR);
      expect(outcome.failure.message).toContain('event 5');
    }
  });
});
