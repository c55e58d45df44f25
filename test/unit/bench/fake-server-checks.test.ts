/**
 * The fake server's answer checks (bench/fake-server): a benchmark is only as honest as these.
 * Pure logic, no network: the histories it writes and what it accepts or counts as a mismatch.
 */
import { describe, expect, it } from 'vitest';
import { defaultPayloadConverter } from '@temporalio/common';
import { msNumberToTs } from '@temporalio/common/lib/time.js';
import { temporal } from '../../../core/connection/proto.js';
import { ActivityTasks } from '../../../bench/fake-server/activity-tasks.js';
import { WorkflowRuns, type TaskRoute } from '../../../bench/fake-server/workflow-runs.js';

const ET = temporal.api.enums.v1.EventType;
const CT = temporal.api.enums.v1.CommandType;
const toPayload = (v: unknown) => defaultPayloadConverter.toPayload(v);
const fromPayload = (p: temporal.api.common.v1.IPayload) => defaultPayloadConverter.fromPayload(p);

function scheduleActivity(input: unknown, type = 'echo'): temporal.api.command.v1.ICommand {
  return {
    commandType: CT.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
    scheduleActivityTaskCommandAttributes: { activityId: '1', activityType: { name: type }, input: { payloads: [toPayload(input)] }, startToCloseTimeout: msNumberToTs(10_000) },
  };
}

function complete(result: unknown): temporal.api.command.v1.ICommand {
  return { commandType: CT.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION, completeWorkflowExecutionCommandAttributes: { result: { payloads: [toPayload(result)] } } };
}

function runs() {
  const routed: TaskRoute[] = [];
  return { routed, runs: new WorkflowRuns((r) => routed.push(r)) };
}

describe('fake server: workflow runs', () => {
  it('writes the first task as the server does and hands the second to the sticky queue with only the new events', () => {
    const { runs: r, routed } = runs();
    const first = r.start('q');
    expect(first.history!.events!.map((e) => e.eventType)).toEqual([ET.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, ET.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, ET.EVENT_TYPE_WORKFLOW_TASK_STARTED]);
    expect(first.history!.events!.map((e) => Number(e.eventId))).toEqual([1, 2, 3]);
    const input = fromPayload(first.history!.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!);
    const sticky = { workerTaskQueue: { name: 'sticky-1', kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_STICKY }, scheduleToStartTimeout: msNumberToTs(10_000) };
    expect(r.completed({ taskToken: first.taskToken, commands: [scheduleActivity(input)], stickyAttributes: sticky })).toBe(true);
    expect(routed).toHaveLength(1);
    const second = routed[0]!;
    expect(second).toMatchObject({ queue: 'sticky-1', sticky: true });
    expect(second.task.history!.events!.map((e) => Number(e.eventId))).toEqual([4, 5, 6, 7, 8, 9]);
    expect(Number(second.task.previousStartedEventId)).toBe(3);
    expect(Number(second.task.startedEventId)).toBe(9);
    const activityResult = fromPayload(second.task.history!.events![3]!.activityTaskCompletedEventAttributes!.result!.payloads![0]!);
    expect(r.completed({ taskToken: second.task.taskToken, commands: [complete(activityResult)] })).toBe(true);
    expect(r.checks).toMatchObject({ accepted: 2, mismatches: 0 });
    expect(r.open).toBe(0);
  });

  it('hands the second task to the normal queue with the whole history when no stickiness was asked', () => {
    const { runs: r, routed } = runs();
    const first = r.start('q');
    const input = fromPayload(first.history!.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!);
    r.completed({ taskToken: first.taskToken, commands: [scheduleActivity(input)] });
    expect(routed[0]).toMatchObject({ queue: 'q', sticky: false });
    expect(routed[0]!.task.history!.events!.map((e) => Number(e.eventId))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('counts a wrong activity type, a wrong input, a wrong result and a second answer as mismatches', () => {
    const { runs: r, routed } = runs();
    r.completed({ taskToken: r.start('q').taskToken, commands: [scheduleActivity('run-1', 'other')] });
    r.completed({ taskToken: r.start('q').taskToken, commands: [scheduleActivity('not-the-input')] });
    const third = r.start('q');
    r.completed({ taskToken: third.taskToken, commands: [scheduleActivity('run-3')] });
    expect(r.checks.mismatches).toBe(2);
    expect(r.completed({ taskToken: third.taskToken, commands: [scheduleActivity('run-3')] })).toBe(false);
    expect(r.checks.mismatches).toBe(3);
    r.completed({ taskToken: routed[0]!.task.taskToken, commands: [complete('not-the-result')] });
    expect(r.checks).toMatchObject({ accepted: 1, mismatches: 4 });
  });
});

describe('fake server: activity tasks', () => {
  it('accepts the activity result for its own token once, and nothing else', () => {
    const a = new ActivityTasks('default');
    const t1 = a.next('q');
    const t2 = a.next('q');
    const in1 = fromPayload(t1.input!.payloads![0]!);
    expect(a.completed({ taskToken: t1.taskToken, result: { payloads: [toPayload(in1)] } })).toBe(true);
    expect(a.completed({ taskToken: t1.taskToken, result: { payloads: [toPayload(in1)] } })).toBe(false);
    expect(a.completed({ taskToken: t2.taskToken, result: { payloads: [toPayload(in1)] } })).toBe(true);
    expect(a.checks).toMatchObject({ accepted: 1, mismatches: 2 });
    expect(a.outstanding).toBe(0);
  });
});
