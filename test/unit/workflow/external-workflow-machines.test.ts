import proto from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { hasErrorCode } from '../../../core/errors.js';
import { C, commandsOf, external, liveRun, thrown } from './command-test-kit.js';
import { HistoryBuilder, payload, RUN_ID } from './history-builder.js';
import { complete, newRun, variants } from './run-helpers.js';

type IWorkflowCommand = proto.coresdk.workflow_commands.IWorkflowCommand;

const signal = (target: { workflowId: string } | { childWorkflowId: string }, headers = {}): IWorkflowCommand => ({
  signalExternalWorkflowExecution: {
    seq: 1,
    signalName: 'ping',
    args: [payload('hello')],
    headers,
    ...('childWorkflowId' in target ? target : { workflowExecution: { namespace: 'other-ns', workflowId: target.workflowId, runId: 'r' } }),
  },
});
const cancelExternal: IWorkflowCommand = {
  requestCancelExternalWorkflowExecution: { seq: 1, workflowExecution: { namespace: 'default', workflowId: 'target' }, reason: 'done' },
};

describe('signal external machine', () => {
  it('sends the signal with its header to an external workflow and resolves when history says signalled', () => {
    const run = liveRun();
    complete(run.state, [signal({ workflowId: 'target' }, { origin: payload('wf') })]);
    const [command] = commandsOf(run.state);
    expect(command!.commandType).toBe(C.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION);
    const a = command!.signalExternalWorkflowExecutionCommandAttributes!;
    expect(a).toMatchObject({ namespace: 'other-ns', execution: { workflowId: 'target', runId: 'r' }, signalName: 'ping', childWorkflowOnly: false });
    expect(Object.keys(a.header!.fields!)).toEqual(['origin']);
    expect(a.input!.payloads).toHaveLength(1);
    run.nextTask((h) => external.signaled(h, external.signalInitiated(h)));
    expect(run.state.nextActivation()!.jobs[0]!.resolveSignalExternalWorkflow).toEqual(expect.objectContaining({ seq: 1, failure: null }));
  });

  it('a signal to a child goes to the child id in this namespace, child-only, without a header when there is none', () => {
    const { state } = liveRun();
    complete(state, [signal({ childWorkflowId: 'child-1' })]);
    const a = commandsOf(state)[0]!.signalExternalWorkflowExecutionCommandAttributes!;
    expect(a).toMatchObject({ namespace: 'default', execution: { workflowId: 'child-1', runId: '' }, childWorkflowOnly: true });
    expect(a.header).toBeNull();
  });

  it('a signal to a missing workflow resolves with the official failure', () => {
    const run = liveRun();
    complete(run.state, [signal({ workflowId: 'target' })]);
    commandsOf(run.state);
    run.nextTask((h) => external.signalFailed(h, external.signalInitiated(h)));
    const failure = run.state.nextActivation()!.jobs[0]!.resolveSignalExternalWorkflow!.failure!;
    expect(failure.message).toBe('Unable to signal external workflow because it was not found');
    expect(failure.applicationFailureInfo?.type).toBe('ExternalWorkflowExecutionNotFound');
  });

  it('cancelled before it was sent: dropped, resolved as cancelled; cancelled after: nothing happens', () => {
    const { state } = liveRun();
    complete(state, [signal({ workflowId: 'target' }), { cancelSignalWorkflow: { seq: 1 } }]);
    const failure = state.nextActivation()!.jobs[0]!.resolveSignalExternalWorkflow!.failure!;
    expect(failure.message).toBe('Signal was cancelled before being sent');
    expect(failure.canceledFailureInfo).toBeDefined();
    complete(state, []);
    expect(commandsOf(state)).toEqual([]);

  });

  it('cancelled once sent: nothing changes, the signal still resolves from history', () => {
    const run = liveRun();
    complete(run.state, [signal({ workflowId: 'target' }), { startTimer: { seq: 1, startToFireTimeout: { seconds: 1 as never } } }]);
    commandsOf(run.state);
    let initiated = 0;
    run.nextTask((h) => {
      initiated = external.signalInitiated(h);
      h.timerFired(1, h.timerStarted(1));
    });
    expect(variants(run.state.nextActivation())).toEqual(['fireTimer']);
    complete(run.state, [{ cancelSignalWorkflow: { seq: 1 } }]);
    expect(commandsOf(run.state)).toEqual([]);
    run.nextTask((h) => external.signaled(h, initiated));
    expect(run.state.nextActivation()!.jobs[0]!.resolveSignalExternalWorkflow!.failure).toBeNull();
  });

  it('replay: history holds a signal where the code requested a cancel: nondeterminism', () => {
    const h = new HistoryBuilder().started().workflowTask();
    external.signalInitiated(h);
    h.workflowTask({ complete: false });
    const state = newRun();
    state.applyWorkflowTask({ events: h.events, previousStartedEventId: h.lastStartedId, startedEventId: h.lastStartedId });
    state.nextActivation();
    const error = thrown(() => complete(state, [cancelExternal]));
    expect(hasErrorCode(error, 'WORKFLOW_NONDETERMINISM')).toBe(true);
    expect((error as Error).message).toMatch(/SignalExternalWorkflowExecutionInitiated: signal 'ping'.*issued RequestCancelExternalWorkflowExecution/);
  });
});

describe('cancel external machine', () => {
  it('requests the cancel with the official reason and resolves when history says requested', () => {
    const run = liveRun();
    complete(run.state, [cancelExternal]);
    const [command] = commandsOf(run.state);
    expect(command!.requestCancelExternalWorkflowExecutionCommandAttributes).toMatchObject({
      namespace: 'default',
      workflowId: 'target',
      runId: '',
      childWorkflowOnly: false,
      reason: `Cancel requested by workflow with run id ${RUN_ID} with reason: done`,
    });
    run.nextTask((h) => external.cancelRequested(h, external.cancelInitiated(h, 'target', false)));
    const job = run.state.nextActivation()!.jobs[0]!.resolveRequestCancelExternalWorkflow!;
    expect(job.seq).toBe(1);
    expect(job.failure).toBeNull();
  });

  it('a cancel of a missing workflow resolves with the official failure', () => {
    const run = liveRun();
    complete(run.state, [cancelExternal]);
    commandsOf(run.state);
    run.nextTask((h) => external.cancelFailed(h, external.cancelInitiated(h, 'target', false)));
    const failure = run.state.nextActivation()!.jobs[0]!.resolveRequestCancelExternalWorkflow!.failure!;
    expect(failure.message).toBe('Unable to cancel external workflow because not found');
    expect(failure.applicationFailureInfo?.type).toBe('ExternalWorkflowExecutionNotFound');
  });

  it('an outcome event with no request behind it is nondeterminism', () => {
    const h = new HistoryBuilder().started().workflowTask();
    external.cancelRequested(h, 99);
    h.workflowTask({ complete: false });
    const state = newRun();
    state.applyWorkflowTask({ events: h.events, previousStartedEventId: h.lastStartedId, startedEventId: h.lastStartedId });
    state.nextActivation();
    const error = thrown(() => complete(state, []));
    expect(hasErrorCode(error, 'WORKFLOW_NONDETERMINISM')).toBe(true);
    expect((error as Error).message).toMatch(/ExternalWorkflowExecutionCancelRequested\) refers to event 99/);
  });
});
