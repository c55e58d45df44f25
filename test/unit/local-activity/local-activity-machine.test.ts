import proto from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { encodeLocalActivityMarker, localActivityMarkerOf } from '../../../core/workflow/local-activity-marker.js';
import type { LocalActivityResolution } from '../../../core/workflow/machines/local-activity-machine.js';
import { int64 } from '../../../core/workflow/proto-types.js';
import { HistoryBuilder, payload } from '../workflow/history-builder.js';
import { cmd, complete, newRun, variants } from '../workflow/run-helpers.js';

type IWorkflowCommand = proto.coresdk.workflow_commands.IWorkflowCommand;
const CommandType = proto.temporal.api.enums.v1.CommandType;
const EventType = proto.temporal.api.enums.v1.EventType;
const { TRY_CANCEL, WAIT_CANCELLATION_COMPLETED, ABANDON } = proto.coresdk.workflow_commands.ActivityCancellationType;

const la = (seq: number, type = 'greet', cancellationType = WAIT_CANCELLATION_COMPLETED): IWorkflowCommand => ({
  scheduleLocalActivity: { seq, activityId: String(seq), activityType: type, attempt: 1, startToCloseTimeout: { seconds: int64(10) }, cancellationType },
});
const cancelLa = (seq: number): IWorkflowCommand => ({ requestCancelLocalActivity: { seq } });
const completed = (seq: number, value: unknown, extra: Partial<LocalActivityResolution> = {}): LocalActivityResolution => ({
  seq,
  result: { kind: 'completed', result: payload(value) },
  runtimeMs: 1500,
  attempt: 1,
  ...extra,
});

/** Appends a `core_local_activity` marker as the official core writes one. */
function marker(h: HistoryBuilder, seq: number, result: { value?: unknown; failure?: proto.temporal.api.failure.v1.IFailure }, type = 'greet'): void {
  const attrs = encodeLocalActivityMarker(
    { seq, attempt: 1, activityId: String(seq), activityType: type, completeTime: { seconds: int64(1_700_000_100), nanos: 0 }, backoff: null, originalScheduleTime: { seconds: int64(1_700_000_003), nanos: 0 } },
    result.failure ? undefined : payload(result.value),
    result.failure,
  );
  h.events.push(
    proto.temporal.api.history.v1.HistoryEvent.fromObject({
      eventId: h.events.length + 1,
      eventType: EventType.EVENT_TYPE_MARKER_RECORDED,
      eventTime: { seconds: 1_700_000_000 + h.events.length + 1 },
      markerRecordedEventAttributes: attrs,
    }),
  );
}

const text = (data: Uint8Array | string | null | undefined): string => (typeof data === 'string' ? Buffer.from(data, 'base64').toString() : new TextDecoder().decode(data ?? new Uint8Array()));

function newExecution() {
  const h = new HistoryBuilder().started().workflowTask({ complete: false });
  const state = newRun();
  state.applyWorkflowTask({ events: h.events, previousStartedEventId: 0, startedEventId: h.lastStartedId });
  expect(variants(state.nextActivation())).toEqual(['initializeWorkflow']);
  return { h, state };
}

function replay(h: HistoryBuilder) {
  const state = newRun();
  state.applyWorkflowTask({ events: h.events, previousStartedEventId: h.lastStartedId, startedEventId: h.lastStartedId });
  expect(variants(state.nextActivation())).toEqual(['initializeWorkflow']);
  return state;
}

function commandsOf(outcome: ReturnType<ReturnType<typeof newRun>['takeTaskOutcome']>) {
  if (outcome.kind !== 'complete') throw new Error(`expected a completion, got ${outcome.kind}`);
  return outcome.commands;
}

describe('local activity machine: execution', () => {
  it('sends no command when scheduled; the result becomes a ResolveActivity job and a marker as the official core writes it', () => {
    const { state } = newExecution();
    complete(state, [la(1)]);
    const requests = state.takeLocalActivityRequests();
    expect(requests.schedule.map((s) => s.seq)).toEqual([1]);
    expect(requests.schedule[0]!.originalScheduleTime).toBeDefined();
    expect(state.nextActivation()).toBeUndefined();
    expect(state.awaitsLocalActivities).toBe(true);

    state.resolveLocalActivity(completed(1, 'hi'));
    expect(state.awaitsLocalActivities).toBe(false);
    const activation = state.nextActivation()!;
    expect(variants(activation)).toEqual(['resolveActivity']);
    expect(activation.jobs[0]!.resolveActivity!.isLocal).toBe(true);
    expect(text(activation.jobs[0]!.resolveActivity!.result!.completed!.result!.data)).toBe('"hi"');
    // Workflow time moved to the task's start plus the activity's runtime.
    expect(Number(activation.timestamp!.seconds) * 1000 + activation.timestamp!.nanos! / 1e6).toBe((1_700_000_003 + 1.5) * 1000);

    complete(state, [cmd.complete()]);
    const commands = commandsOf(state.takeTaskOutcome());
    expect(commands.map((c) => c.commandType)).toEqual([CommandType.COMMAND_TYPE_RECORD_MARKER, CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION]);
    const attrs = commands[0]!.recordMarkerCommandAttributes!;
    expect(attrs.markerName).toBe('core_local_activity');
    const json = new TextDecoder().decode(attrs.details!['data']!.payloads![0]!.data!);
    expect(Object.keys(JSON.parse(json))).toEqual(['seq', 'attempt', 'activity_id', 'activity_type', 'complete_time', 'backoff', 'original_schedule_time']);
    expect(JSON.parse(json)).toMatchObject({ seq: 1, attempt: 1, activity_id: '1', activity_type: 'greet', complete_time: { seconds: 1_700_000_004, nanos: 500_000_000 }, backoff: null });
    expect(attrs.details!['result']!.payloads).toEqual([payload('hi')]);
    expect(attrs.failure).toBeNull();
  });

  it('a backoff over the threshold resolves as DoBackoff with the next attempt, recorded with the failure', () => {
    const { state } = newExecution();
    complete(state, [la(1)]);
    state.takeLocalActivityRequests();
    const failure = { message: 'boom', applicationFailureInfo: { type: 'Boom' } };
    state.resolveLocalActivity({ seq: 1, result: { kind: 'failed', failure }, runtimeMs: 5, attempt: 1, backoff: { seconds: int64(90) }, originalScheduleTime: { seconds: int64(1_700_000_003) } });
    const job = state.nextActivation()!.jobs[0]!.resolveActivity!;
    expect(job.result!.backoff!.attempt).toBe(2);
    expect(Number(job.result!.backoff!.backoffDuration!.seconds)).toBe(90);
    complete(state, [cmd.timer(1, 90_000)]);
    const [markerCommand] = commandsOf(state.takeTaskOutcome());
    expect(markerCommand!.recordMarkerCommandAttributes!.failure).toEqual(failure);
    expect(JSON.parse(new TextDecoder().decode(markerCommand!.recordMarkerCommandAttributes!.details!['data']!.payloads![0]!.data!)).backoff).toEqual({ seconds: 90, nanos: 0 });
  });

  it('timeouts and cancels reach the workflow wrapped in an ActivityFailure; other failures unwrapped', () => {
    const { state } = newExecution();
    complete(state, [la(1), la(2), la(3)]);
    state.takeLocalActivityRequests();
    state.resolveLocalActivity({ seq: 1, result: { kind: 'timedOut', failure: { message: 'Activity timed out', timeoutFailureInfo: { timeoutType: 1 } } }, runtimeMs: 1, attempt: 2 });
    state.resolveLocalActivity({ seq: 2, result: { kind: 'failed', failure: { message: 'nope', applicationFailureInfo: {} } }, runtimeMs: 1, attempt: 3 });
    state.resolveLocalActivity({ seq: 3, result: { kind: 'cancelled', failure: { message: 'CANCELLED', canceledFailureInfo: {} } }, runtimeMs: 1, attempt: 1 });
    const [timedOut, failed, cancelled] = state.nextActivation()!.jobs.map((j) => j.resolveActivity!.result!);
    expect(timedOut!.failed!.failure).toMatchObject({ message: 'Local Activity timed out', cause: { timeoutFailureInfo: { timeoutType: 1 } }, activityFailureInfo: { activityType: { name: 'greet' }, retryState: proto.temporal.api.enums.v1.RetryState.RETRY_STATE_CANCEL_REQUESTED } });
    expect(failed!.failed!.failure).toMatchObject({ message: 'nope' });
    expect(failed!.failed!.failure!.activityFailureInfo).toBeFalsy();
    expect(cancelled!.cancelled!.failure).toMatchObject({ message: 'Local Activity cancelled', cause: { message: 'CANCELLED' } });
  });

  it.each([
    ['TRY_CANCEL', TRY_CANCEL, { seconds: null }],
    ['WAIT_CANCELLATION_COMPLETED', WAIT_CANCELLATION_COMPLETED, { seconds: 1_700_000_003 }],
    ['ABANDON', ABANDON, { seconds: null }],
  ])('%s before it ever ran: resolved as cancelled at once, never handed to the executor, still recorded', (_name, type, time) => {
    const { state } = newExecution();
    complete(state, [la(1, 'greet', type), cancelLa(1)]);
    expect(state.takeLocalActivityRequests()).toEqual({ schedule: [], cancel: [], cancelAll: false });
    expect(state.awaitsLocalActivities).toBe(false);
    const failure = state.nextActivation()!.jobs[0]!.resolveActivity!.result!.cancelled!.failure!;
    expect(failure).toMatchObject({ message: 'Local Activity cancelled', cause: { message: 'Activity cancelled', canceledFailureInfo: {} } });
    complete(state, [cmd.complete()]);
    const attrs = commandsOf(state.takeTaskOutcome())[0]!.recordMarkerCommandAttributes!;
    expect(attrs.failure).toEqual({ message: 'Activity cancelled', canceledFailureInfo: {} });
    const data = JSON.parse(new TextDecoder().decode(attrs.details!['data']!.payloads![0]!.data!));
    expect(data.complete_time?.seconds ?? null).toBe(time.seconds);
  });

  it('cancelling a running one: WAIT_CANCELLATION_COMPLETED asks the executor and waits; ABANDON resolves now and lets go', () => {
    const { state } = newExecution();
    complete(state, [la(1, 'slow', WAIT_CANCELLATION_COMPLETED), la(2, 'slow', ABANDON), la(3)]);
    state.takeLocalActivityRequests();
    // Both run now; another one's result makes the activation that cancels them.
    state.resolveLocalActivity(completed(3, 'x'));
    state.nextActivation();
    complete(state, [cancelLa(1), cancelLa(2)]);
    expect(state.takeLocalActivityRequests()).toEqual({ schedule: [], cancel: [1], cancelAll: false });
    // The abandoned one is resolved; the other still holds the task.
    expect(variants(state.nextActivation())).toEqual(['resolveActivity']);
    complete(state, []);
    expect(state.awaitsLocalActivities).toBe(true);
    state.resolveLocalActivity({ seq: 1, result: { kind: 'cancelled', failure: { message: 'CANCELLED', canceledFailureInfo: {} } }, runtimeMs: 3, attempt: 1 });
    expect(state.nextActivation()!.jobs[0]!.resolveActivity!.seq).toBe(1);
  });

  it('a workflow-ending command stops everything the run still runs', () => {
    const { state } = newExecution();
    complete(state, [la(1), cmd.complete()]);
    expect(state.takeLocalActivityRequests()).toEqual({ schedule: [], cancel: [], cancelAll: true });
    expect(state.awaitsLocalActivities).toBe(false);
  });

  it('the workflow task heartbeat answers with forceCreateNewWorkflowTask and no marker yet', () => {
    const { state } = newExecution();
    complete(state, [la(1), cmd.timer(1)]);
    state.takeLocalActivityRequests();
    const outcome = state.takeTaskOutcome({ forceNewWorkflowTask: true });
    expect(outcome.kind === 'complete' && outcome.forceCreateNewWorkflowTask).toBe(true);
    expect(commandsOf(outcome).map((c) => c.commandType)).toEqual([CommandType.COMMAND_TYPE_START_TIMER]);
  });
});

describe('local activity machine: replay', () => {
  it('resolves from the marker read ahead, in the activation after the one that scheduled it, and runs nothing', () => {
    const h = new HistoryBuilder().started().workflowTask();
    marker(h, 1, { value: 'from history' });
    h.workflowCompleted();
    const state = replay(h);
    complete(state, [la(1)]);
    expect(state.takeLocalActivityRequests().schedule).toEqual([]);
    const job = state.nextActivation()!.jobs[0]!.resolveActivity!;
    expect(job).toMatchObject({ seq: 1, isLocal: true });
    expect(text(job.result!.completed!.result!.data)).toBe('"from history"');
    complete(state, [cmd.complete()]);
    expect(state.takeTaskOutcome().kind).toBe('none');
  });

  it('a failure in a marker is handed over as the official core reads it: cancels wrapped, timeouts not', () => {
    const h = new HistoryBuilder().started().workflowTask();
    marker(h, 1, { failure: { message: 'Activity timed out', timeoutFailureInfo: { timeoutType: 1 } } });
    marker(h, 2, { failure: { message: 'Activity cancelled', canceledFailureInfo: {} } });
    h.workflowCompleted();
    const state = replay(h);
    complete(state, [la(1), la(2)]);
    const [first, second] = state.nextActivation()!.jobs.map((j) => j.resolveActivity!.result!);
    expect(first!.failed!.failure).toMatchObject({ message: 'Activity timed out' });
    expect(second!.cancelled!.failure).toMatchObject({ message: 'Local Activity cancelled' });
  });

  it('a marker in history that the code did not ask for is nondeterminism', () => {
    const h = new HistoryBuilder().started().workflowTask();
    marker(h, 1, { value: 'x' });
    h.workflowCompleted();
    const state = replay(h);
    expect(() => complete(state, [cmd.complete()])).toThrow(/history records local activity 1 \(type 'greet'\), but the workflow code did not schedule it/);
    expect(state.takeTaskOutcome()).toMatchObject({ kind: 'fail', cause: proto.temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR });
  });

  it('a local activity the code asks for where history has none is nondeterminism', () => {
    const h = new HistoryBuilder().started().workflowTask().workflowCompleted();
    const state = replay(h);
    expect(() => complete(state, [la(1)])).toThrow(/WorkflowExecutionCompleted.*issued no command/);
  });

  it('a marker of another activity type at the same seq is nondeterminism', () => {
    const h = new HistoryBuilder().started().workflowTask();
    marker(h, 1, { value: 'x' }, 'other');
    h.workflowCompleted();
    const state = replay(h);
    complete(state, [la(1, 'greet')]);
    expect(variants(state.nextActivation())).toEqual(['resolveActivity']);
    // Checked when the marker event itself is applied, with the next task.
    expect(() => complete(state, [cmd.complete()])).toThrow(/activity type 'other'/);
  });

  it('scheduled on replay but never recorded (the worker died after a heartbeat): runs once the new task starts', () => {
    // Task 1 heartbeated (completed with nothing, forced a new task) and the worker went away.
    const h = new HistoryBuilder().started().workflowTask().workflowTask({ complete: false });
    const state = newRun();
    state.applyWorkflowTask({ events: h.events, previousStartedEventId: 3, startedEventId: h.lastStartedId });
    expect(variants(state.nextActivation())).toEqual(['initializeWorkflow']);
    complete(state, [la(1)]);
    expect(state.takeLocalActivityRequests().schedule.map((s) => s.seq)).toEqual([1]);
    expect(state.awaitsLocalActivities).toBe(true);
  });

  it('markers decode whatever order their JSON keys come in', () => {
    const attrs = encodeLocalActivityMarker({ seq: 4, attempt: 2, activityId: 'a', activityType: 't', completeTime: null, backoff: null, originalScheduleTime: null }, payload(1), undefined);
    const decoded = localActivityMarkerOf({ eventType: EventType.EVENT_TYPE_MARKER_RECORDED, markerRecordedEventAttributes: attrs });
    expect(decoded).toMatchObject({ data: { seq: 4, attempt: 2, activityId: 'a', activityType: 't', completeTime: null }, result: { ok: true } });
  });
});
