import proto from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { hasErrorCode } from '../../../core/errors.js';
import { C, child, commandsOf, external, liveRun, thrown } from './command-test-kit.js';
import { HistoryBuilder } from './history-builder.js';
import { cmd, complete, newRun, variants } from './run-helpers.js';

type IWorkflowCommand = proto.coresdk.workflow_commands.IWorkflowCommand;
const { ABANDON, TRY_CANCEL, WAIT_CANCELLATION_COMPLETED, WAIT_CANCELLATION_REQUESTED } = proto.coresdk.child_workflow.ChildWorkflowCancellationType;
const RetryState = proto.temporal.api.enums.v1.RetryState;

const startChild = (cancellationType: number = WAIT_CANCELLATION_COMPLETED, workflowId = 'child-1'): IWorkflowCommand => ({
  startChildWorkflowExecution: {
    seq: 1,
    namespace: 'default',
    workflowId,
    workflowType: 'child',
    taskQueue: 'tq',
    cancellationType,
    parentClosePolicy: proto.coresdk.child_workflow.ParentClosePolicy.PARENT_CLOSE_POLICY_REQUEST_CANCEL,
    workflowIdReusePolicy: proto.temporal.api.enums.v1.WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
    cronSchedule: '@every 1h',
    headers: { traced: { data: new Uint8Array([2]) } },
    memo: { note: { data: new Uint8Array([3]) } },
  },
  userMetadata: { summary: { data: new Uint8Array([1]) } },
});
const cancelChild: IWorkflowCommand = { cancelChildWorkflowExecution: { childWorkflowSeq: 1, reason: 'no longer needed' } };

/** A live run whose child 1 has started (Initiated + Started in history, start resolved). */
function startedChild(cancellationType: number = WAIT_CANCELLATION_COMPLETED) {
  const run = liveRun();
  complete(run.state, [startChild(cancellationType)]);
  const [start] = commandsOf(run.state);
  let initiated = 0;
  let started = 0;
  run.nextTask((h) => {
    initiated = child.initiated(h);
    started = child.started(h, initiated);
  });
  const resolution = run.state.nextActivation()!;
  return { ...run, start: start!, initiated, started, resolution };
}

describe('child workflow machine', () => {
  it('sends StartChildWorkflowExecution as the official core builds it, resolves the start with the run id, then the result', () => {
    const { h, state, start, nextTask, resolution, initiated, started } = startedChild();
    expect(start.commandType).toBe(C.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION);
    const a = start.startChildWorkflowExecutionCommandAttributes!;
    expect(a).toMatchObject({ namespace: 'default', workflowId: 'child-1', workflowType: { name: 'child' }, taskQueue: { name: 'tq' }, parentClosePolicy: 3, workflowIdReusePolicy: 3, cronSchedule: '@every 1h', inheritBuildId: true });
    expect(Object.keys(a.header!.fields!)).toEqual(['traced']);
    expect(Object.keys(a.memo!.fields!)).toEqual(['note']);
    expect(start.userMetadata?.summary).toBeDefined();
    expect(resolution.jobs[0]!.resolveChildWorkflowExecutionStart).toMatchObject({ seq: 1, succeeded: { runId: 'child-run' } });
    complete(state, []);
    expect(commandsOf(state)).toEqual([]);
    nextTask(() => child.completed(h, initiated, started, 'done'));
    const result = state.nextActivation()!.jobs[0]!.resolveChildWorkflowExecution!;
    expect(result.seq).toBe(1);
    expect(Buffer.from(result.result!.completed!.result!.data!).toString()).toBe('"done"');
  });

  it.each([
    ['failed', child.failed, 'Child Workflow execution failed', { message: 'child broke' }, RetryState.RETRY_STATE_RETRY_POLICY_NOT_SET],
    ['timed out', child.timedOut, 'Child Workflow execution timed out', { message: 'Timed out', timeoutFailureInfo: { timeoutType: proto.temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE } }, RetryState.RETRY_STATE_TIMEOUT],
    ['terminated', child.terminated, 'Child Workflow execution terminated', { message: 'Terminated', terminatedFailureInfo: {} }, RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE],
  ])('a child that %s resolves with a ChildWorkflowExecutionFailureInfo around the cause', (_what, event, message, cause, retryState) => {
    const { h, state, nextTask, initiated, started } = startedChild();
    complete(state, []);
    commandsOf(state);
    nextTask(() => event(h, initiated, started));
    const failure = state.nextActivation()!.jobs[0]!.resolveChildWorkflowExecution!.result!.failed!.failure!;
    expect(failure.message).toBe(message);
    expect(failure.cause).toMatchObject(cause);
    expect(failure.childWorkflowExecutionFailureInfo).toMatchObject({
      namespace: 'default',
      workflowType: { name: 'child' },
      workflowExecution: { workflowId: 'child-1', runId: 'child-run' },
      retryState,
    });
    expect(Number(failure.childWorkflowExecutionFailureInfo!.initiatedEventId)).toBe(initiated);
    expect(Number(failure.childWorkflowExecutionFailureInfo!.startedEventId)).toBe(started);
  });

  it('header and memo are always sent, empty or not, as the official core sends them', () => {
    const { state } = liveRun();
    complete(state, [{ startChildWorkflowExecution: { seq: 1, namespace: 'default', workflowId: 'c', workflowType: 'child', taskQueue: 'other-tq' } }]);
    const a = commandsOf(state)[0]!.startChildWorkflowExecutionCommandAttributes!;
    expect(a.header).toEqual({ fields: {} });
    expect(a.memo).toEqual({ fields: {} });
    // Another task queue: no build-id inheritance unless asked for.
    expect(a.inheritBuildId).toBe(false);
  });

  it('a start that fails (id already running) resolves the start as failed with the cause', () => {
    const run = liveRun();
    complete(run.state, [startChild()]);
    commandsOf(run.state);
    run.nextTask((h) => child.startFailed(h, child.initiated(h)));
    const job = run.state.nextActivation()!.jobs[0]!.resolveChildWorkflowExecutionStart!;
    expect(job).toMatchObject({ seq: 1, failed: { workflowId: 'child-1', workflowType: 'child', cause: 1 } });
  });

  it('cancelled before its start was sent: no command, the start resolves as cancelled', () => {
    const { state } = liveRun();
    complete(state, [startChild(), cancelChild]);
    const job = state.nextActivation()!.jobs[0]!.resolveChildWorkflowExecutionStart!;
    expect(job.cancelled!.failure!.message).toBe('Child Workflow Execution cancelled before scheduled: no longer needed');
    expect(job.cancelled!.failure!.cause?.canceledFailureInfo).toBeDefined();
    complete(state, [cmd.complete()]);
    expect(commandsOf(state).map((c) => c.commandType)).toEqual([C.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION]);
  });

  it.each([
    { name: 'ABANDON', type: ABANDON, sendsRequest: false, resolvesAtOnce: true },
    { name: 'TRY_CANCEL', type: TRY_CANCEL, sendsRequest: true, resolvesAtOnce: true },
    { name: 'WAIT_CANCELLATION_COMPLETED', type: WAIT_CANCELLATION_COMPLETED, sendsRequest: true, resolvesAtOnce: false },
    // As in the official core: it waits for the child's end too.
    { name: 'WAIT_CANCELLATION_REQUESTED', type: WAIT_CANCELLATION_REQUESTED, sendsRequest: true, resolvesAtOnce: false },
  ])('cancelling a started child with $name: request sent $sendsRequest, resolved at once $resolvesAtOnce', ({ type, sendsRequest, resolvesAtOnce }) => {
    const { h, state, nextTask, initiated, started, start } = startedChild(type);
    complete(state, [cancelChild]);
    const atOnce = state.nextActivation();
    expect(variants(atOnce)).toEqual(resolvesAtOnce ? ['resolveChildWorkflowExecution'] : []);
    if (atOnce) {
      expect(atOnce.jobs[0]!.resolveChildWorkflowExecution!.result!.cancelled!.failure!.message).toBe('Child Workflow execution cancelled');
      complete(state, []);
    }
    const commands = commandsOf(state);
    if (!sendsRequest) {
      expect(commands).toEqual([]);
      return;
    }
    expect(commands.map((c) => c.commandType)).toEqual([C.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION]);
    expect(commands[0]!.requestCancelExternalWorkflowExecutionCommandAttributes).toMatchObject({
      namespace: 'default',
      workflowId: 'child-1',
      runId: 'child-run',
      childWorkflowOnly: true,
      reason: 'no longer needed',
    });
    // The cancel lands in the child's event group: it carries the child's user metadata.
    expect(commands[0]!.userMetadata).toEqual(start.userMetadata);
    nextTask(() => {
      external.cancelRequested(h, external.cancelInitiated(h));
      child.canceled(h, initiated, started);
    });
    // The cancel request itself tells the workflow nothing; the child's end does, unless already resolved.
    const later = state.nextActivation();
    expect(variants(later)).toEqual(resolvesAtOnce ? [] : ['resolveChildWorkflowExecution']);
  });

  it.each([
    { name: 'TRY_CANCEL', type: TRY_CANCEL, sendsRequest: true, resolvesAtOnce: true },
    { name: 'ABANDON', type: ABANDON, sendsRequest: false, resolvesAtOnce: true },
    { name: 'WAIT_CANCELLATION_COMPLETED', type: WAIT_CANCELLATION_COMPLETED, sendsRequest: true, resolvesAtOnce: false },
  ])('cancelling ($name) a child whose start is recorded but not yet started: targets it without a run id', ({ type, sendsRequest, resolvesAtOnce }) => {
    const run = liveRun();
    complete(run.state, [startChild(type), cmd.timer(1)]);
    commandsOf(run.state);
    let initiated = 0;
    run.nextTask((h) => {
      initiated = child.initiated(h);
      h.timerFired(1, h.timerStarted(1));
    });
    expect(variants(run.state.nextActivation())).toEqual(['fireTimer']);
    complete(run.state, [cancelChild]);
    const atOnce = run.state.nextActivation();
    expect(variants(atOnce)).toEqual(resolvesAtOnce ? ['resolveChildWorkflowExecution'] : []);
    if (atOnce) complete(run.state, []);
    const commands = commandsOf(run.state);
    expect(commands.map((c) => c.requestCancelExternalWorkflowExecutionCommandAttributes)).toEqual(
      sendsRequest ? [expect.objectContaining({ workflowId: 'child-1', runId: '', childWorkflowOnly: true })] : [],
    );
    run.nextTask((h) => {
      if (sendsRequest) external.cancelRequested(h, external.cancelInitiated(h));
      const started = child.started(h, initiated);
      // Resolved on cancel: it may still end any way. Waiting: it ends cancelled.
      if (resolvesAtOnce) child.completed(h, initiated, started, 'late');
      else child.canceled(h, initiated, started);
    });
    const later = run.state.nextActivation();
    // The start still resolves for a waiting child; an immediately resolved one hears nothing more.
    expect(variants(later)).toEqual(resolvesAtOnce ? [] : ['resolveChildWorkflowExecutionStart', 'resolveChildWorkflowExecution']);
  });

  it('cancelling a child that already ended changes nothing', () => {
    const { h, state, nextTask, initiated, started } = startedChild(TRY_CANCEL);
    complete(state, []);
    commandsOf(state);
    nextTask(() => child.completed(h, initiated, started, 'done'));
    state.nextActivation();
    complete(state, [cancelChild]);
    expect(commandsOf(state)).toEqual([]);
  });

  it('a child that waited for its cancellation cannot end a second time: nondeterminism', () => {
    const { h, state, nextTask, initiated, started } = startedChild(WAIT_CANCELLATION_COMPLETED);
    complete(state, [cancelChild]);
    commandsOf(state);
    nextTask(() => {
      external.cancelRequested(h, external.cancelInitiated(h));
      child.canceled(h, initiated, started);
    });
    state.nextActivation();
    complete(state, []);
    commandsOf(state);
    const error = thrown(() => nextTask(() => child.completed(h, initiated, started, 'again')));
    expect(hasErrorCode(error, 'WORKFLOW_NONDETERMINISM')).toBe(true);
  });

  it('replay: a different child workflow id than history recorded is nondeterminism naming both', () => {
    const h = new HistoryBuilder().started().workflowTask();
    child.initiated(h, 'recorded-id');
    h.workflowTask({ complete: false });
    const state = newRun();
    state.applyWorkflowTask({ events: h.events, previousStartedEventId: h.lastStartedId, startedEventId: h.lastStartedId });
    state.nextActivation();
    const error = thrown(() => complete(state, [startChild(WAIT_CANCELLATION_COMPLETED, 'code-id')]));
    expect(hasErrorCode(error, 'WORKFLOW_NONDETERMINISM')).toBe(true);
    expect((error as Error).message).toMatch(/event 5 \(StartChildWorkflowExecutionInitiated: workflow id 'recorded-id'.*workflow id 'code-id'.*child workflow id differs/);
  });

  it('replay: history holds a child where the code started a timer', () => {
    const h = new HistoryBuilder().started().workflowTask();
    child.initiated(h);
    h.workflowTask({ complete: false });
    const state = newRun();
    state.applyWorkflowTask({ events: h.events, previousStartedEventId: h.lastStartedId, startedEventId: h.lastStartedId });
    state.nextActivation();
    const error = thrown(() => complete(state, [cmd.timer(1)]));
    expect((error as Error).message).toMatch(/StartChildWorkflowExecutionInitiated.*issued StartTimer/);
  });

  it('replay of a whole child history gives the same jobs as the live run', () => {
    const h = new HistoryBuilder().started().workflowTask();
    const initiated = child.initiated(h);
    const started = child.started(h, initiated);
    h.workflowTask();
    child.failed(h, initiated, started);
    h.workflowTask({ complete: false });
    const state = newRun();
    state.applyWorkflowTask({ events: h.events, previousStartedEventId: h.lastStartedId, startedEventId: h.lastStartedId });
    expect(variants(state.nextActivation())).toEqual(['initializeWorkflow']);
    complete(state, [startChild()]);
    expect(variants(state.nextActivation())).toEqual(['resolveChildWorkflowExecutionStart']);
    complete(state, []);
    expect(variants(state.nextActivation())).toEqual(['resolveChildWorkflowExecution']);
  });
});
