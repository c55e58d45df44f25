import proto from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { HistoryBuilder } from './history-builder.js';
import { cmd, complete, newRun, variants } from './run-helpers.js';

const { TRY_CANCEL, WAIT_CANCELLATION_COMPLETED, ABANDON } = proto.coresdk.workflow_commands.ActivityCancellationType;
const CommandType = proto.temporal.api.enums.v1.CommandType;

/** New workflow: WFT 1 schedules activity 1 + timer 1; then activity started and timer fired → WFT 2. */
function scheduledThenTimerFired() {
  const h = new HistoryBuilder().started().workflowTask({ complete: false });
  const state = newRun();
  state.applyWorkflowTask({ events: h.events, previousStartedEventId: 0, startedEventId: h.lastStartedId });
  return { h, state };
}

function runUntilCancel(cancellationType: number) {
  const { h, state } = scheduledThenTimerFired();
  state.nextActivation();
  complete(state, [cmd.activity(1, 'slow', cancellationType), cmd.timer(1)]);
  expect(state.nextActivation()).toBeUndefined();
  const first = state.takeTaskOutcome();
  expect(first.kind === 'complete' && first.commands.map((c) => c.commandType)).toEqual([
    CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
    CommandType.COMMAND_TYPE_START_TIMER,
  ]);
  const start = h.lastId;
  h.completed();
  const scheduled = h.activityScheduled('1', 'slow');
  const timer = h.timerStarted(1);
  const started = h.activityStarted(scheduled);
  h.timerFired(1, timer).workflowTask({ complete: false });
  state.applyWorkflowTask({ events: h.events.slice(start), previousStartedEventId: start, startedEventId: h.lastStartedId });
  expect(variants(state.nextActivation())).toEqual(['fireTimer']);
  complete(state, [cmd.cancelActivity(1)]);
  return { h, state, scheduled, started };
}

describe('activity cancellation types', () => {
  it('TRY_CANCEL sends RequestCancelActivityTask and resolves as cancelled at once', () => {
    const { state, scheduled } = runUntilCancel(TRY_CANCEL);
    const resolution = state.nextActivation();
    expect(variants(resolution)).toEqual(['resolveActivity']);
    const failure = resolution!.jobs[0]!.resolveActivity!.result!.cancelled!.failure!;
    expect(failure.message).toBe('Activity cancelled');
    expect(failure.cause?.canceledFailureInfo).toBeDefined();
    expect(failure.activityFailureInfo?.activityType?.name).toBe('slow');
    complete(state, [cmd.complete()]);
    const outcome = state.takeTaskOutcome();
    expect(outcome.kind).toBe('complete');
    if (outcome.kind !== 'complete') return;
    expect(outcome.commands.map((c) => c.commandType)).toEqual([
      CommandType.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK,
      CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
    ]);
    expect(Number(outcome.commands[0]!.requestCancelActivityTaskCommandAttributes!.scheduledEventId)).toBe(scheduled);
  });

  it('WAIT_CANCELLATION_COMPLETED sends the request and resolves only when history says cancelled', () => {
    const { h, state, scheduled, started } = runUntilCancel(WAIT_CANCELLATION_COMPLETED);
    expect(state.nextActivation()).toBeUndefined();
    const outcome = state.takeTaskOutcome();
    expect(outcome.kind === 'complete' && outcome.commands.map((c) => c.commandType)).toEqual([
      CommandType.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK,
    ]);
    const from = h.lastId;
    h.completed();
    h.activityCancelRequested(scheduled);
    h.activityCanceled(scheduled, started);
    h.workflowTask({ complete: false });
    state.applyWorkflowTask({ events: h.events.slice(from), previousStartedEventId: from, startedEventId: h.lastStartedId });
    const resolution = state.nextActivation();
    expect(variants(resolution)).toEqual(['resolveActivity']);
    expect(resolution!.jobs[0]!.resolveActivity!.result!.cancelled!.failure!.activityFailureInfo!.identity).toBe('worker-1');
  });

  it('ABANDON sends no command and resolves as cancelled at once', () => {
    const { h, state, scheduled, started } = runUntilCancel(ABANDON);
    expect(variants(state.nextActivation())).toEqual(['resolveActivity']);
    complete(state, [cmd.timer(2)]);
    const outcome = state.takeTaskOutcome();
    expect(outcome.kind === 'complete' && outcome.commands.map((c) => c.commandType)).toEqual([CommandType.COMMAND_TYPE_START_TIMER]);
    // The abandoned activity finishing later changes nothing for the workflow.
    const from = h.lastId;
    h.completed();
    const timer = h.timerStarted(2);
    h.activityCompleted(scheduled, started, 'late');
    h.timerFired(2, timer).workflowTask({ complete: false });
    state.applyWorkflowTask({ events: h.events.slice(from), previousStartedEventId: from, startedEventId: h.lastStartedId });
    expect(variants(state.nextActivation())).toEqual(['fireTimer']);
  });

  it('cancelling before the schedule was sent drops the command and resolves', () => {
    const { state } = scheduledThenTimerFired();
    state.nextActivation();
    complete(state, [cmd.activity(1, 'slow', TRY_CANCEL), cmd.cancelActivity(1)]);
    expect(variants(state.nextActivation())).toEqual(['resolveActivity']);
    complete(state, [cmd.complete()]);
    const outcome = state.takeTaskOutcome();
    expect(outcome.kind === 'complete' && outcome.commands.map((c) => c.commandType)).toEqual([
      CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
    ]);
  });

  it('passes a failed activity’s failure through as the cause of an ActivityFailure', () => {
    const h = new HistoryBuilder().started().workflowTask();
    const scheduled = h.activityScheduled('1', 'greet');
    const started = h.activityStarted(scheduled);
    h.activityFailed(scheduled, started, 'boom').workflowTask({ complete: false });
    const state = newRun();
    state.applyWorkflowTask({ events: h.events, previousStartedEventId: 3, startedEventId: h.lastStartedId });
    state.nextActivation();
    complete(state, [cmd.activity(1, 'greet')]);
    const failure = state.nextActivation()!.jobs[0]!.resolveActivity!.result!.failed!.failure!;
    expect(failure.message).toBe('Activity task failed');
    expect(failure.cause?.message).toBe('boom');
    expect(failure.cause?.applicationFailureInfo?.type).toBe('Boom');
    expect(failure.activityFailureInfo).toMatchObject({ activityId: '1', identity: 'worker-1' });
  });
});
