import proto from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { hasErrorCode } from '../../../core/errors.js';
import { C, T, commandsOf, liveRun, thrown } from './command-test-kit.js';
import { HistoryBuilder, payload } from './history-builder.js';
import { cmd, complete, newRun, variants } from './run-helpers.js';

type IWorkflowCommand = proto.coresdk.workflow_commands.IWorkflowCommand;
type IFailure = proto.temporal.api.failure.v1.IFailure;
const { ABANDON, TRY_CANCEL, WAIT_CANCELLATION_COMPLETED, WAIT_CANCELLATION_REQUESTED } = proto.coresdk.nexus.NexusOperationCancellationType;

const schedule = (cancellationType: number = WAIT_CANCELLATION_COMPLETED, operation = 'op'): IWorkflowCommand => ({
  scheduleNexusOperation: {
    seq: 1,
    endpoint: 'ep',
    service: 'svc',
    operation,
    input: payload('in'),
    scheduleToCloseTimeout: { seconds: 60 as never },
    nexusHeader: { trace: 'x' },
    cancellationType,
  },
  userMetadata: { summary: { data: new Uint8Array([1]) } },
});
const cancel: IWorkflowCommand = { requestCancelNexusOperation: { seq: 1 } };
const serverFailure = (message: string): IFailure => ({ message, cause: { message: 'inner' }, nexusOperationExecutionFailureInfo: { endpoint: 'ep', service: 'svc', operation: 'op' } });

/** Nexus events as the server writes them. */
const nexus = {
  scheduled: (h: HistoryBuilder, operation = 'op'): number =>
    h.event(T.EVENT_TYPE_NEXUS_OPERATION_SCHEDULED, { nexusOperationScheduledEventAttributes: { endpoint: 'ep', service: 'svc', operation } }),
  started: (h: HistoryBuilder, scheduledEventId: number): number =>
    h.event(T.EVENT_TYPE_NEXUS_OPERATION_STARTED, { nexusOperationStartedEventAttributes: { scheduledEventId, operationToken: 'tok' } as never }),
  completed: (h: HistoryBuilder, scheduledEventId: number, result: unknown): number =>
    h.event(T.EVENT_TYPE_NEXUS_OPERATION_COMPLETED, { nexusOperationCompletedEventAttributes: { scheduledEventId, result: payload(result) } as never }),
  failed: (h: HistoryBuilder, scheduledEventId: number): number =>
    h.event(T.EVENT_TYPE_NEXUS_OPERATION_FAILED, { nexusOperationFailedEventAttributes: { scheduledEventId, failure: serverFailure('failed') } as never }),
  timedOut: (h: HistoryBuilder, scheduledEventId: number): number =>
    h.event(T.EVENT_TYPE_NEXUS_OPERATION_TIMED_OUT, { nexusOperationTimedOutEventAttributes: { scheduledEventId, failure: serverFailure('timed out') } as never }),
  canceled: (h: HistoryBuilder, scheduledEventId: number): number =>
    h.event(T.EVENT_TYPE_NEXUS_OPERATION_CANCELED, { nexusOperationCanceledEventAttributes: { scheduledEventId, failure: serverFailure('canceled') } as never }),
  cancelRequested: (h: HistoryBuilder, scheduledEventId: number): number =>
    h.event(T.EVENT_TYPE_NEXUS_OPERATION_CANCEL_REQUESTED, { nexusOperationCancelRequestedEventAttributes: { scheduledEventId } as never }),
  cancelRequestCompleted: (h: HistoryBuilder, scheduledEventId: number): number =>
    h.event(T.EVENT_TYPE_NEXUS_OPERATION_CANCEL_REQUEST_COMPLETED, { nexusOperationCancelRequestCompletedEventAttributes: { scheduledEventId } as never }),
  cancelRequestFailed: (h: HistoryBuilder, scheduledEventId: number): number =>
    h.event(T.EVENT_TYPE_NEXUS_OPERATION_CANCEL_REQUEST_FAILED, { nexusOperationCancelRequestFailedEventAttributes: { scheduledEventId, failure: { message: 'refused' } } as never }),
};

/** A live run whose operation 1 was scheduled (and started, unless `sync`). */
function scheduledOperation(cancellationType: number = WAIT_CANCELLATION_COMPLETED, opts: { start?: boolean } = {}) {
  const run = liveRun();
  complete(run.state, [schedule(cancellationType)]);
  const [command] = commandsOf(run.state);
  let scheduled = 0;
  run.nextTask((h) => {
    scheduled = nexus.scheduled(h);
    if (opts.start !== false) nexus.started(h, scheduled);
  });
  const activation = opts.start !== false ? run.state.nextActivation() : undefined;
  return { ...run, command: command!, scheduled, activation };
}

/** Completes the current activation with `commands`; returns the API commands sent. */
function answer(state: ReturnType<typeof liveRun>['state'], commands: IWorkflowCommand[]) {
  complete(state, commands);
  return commandsOf(state);
}

describe('Nexus operation machine', () => {
  it('sends ScheduleNexusOperation as the official core builds it; async: the token, then the result', () => {
    const { h, state, nextTask, command, scheduled, activation } = scheduledOperation();
    expect(command.commandType).toBe(C.COMMAND_TYPE_SCHEDULE_NEXUS_OPERATION);
    expect(command.scheduleNexusOperationCommandAttributes).toMatchObject({ endpoint: 'ep', service: 'svc', operation: 'op', nexusHeader: { trace: 'x' }, scheduleToCloseTimeout: { seconds: 60 } });
    expect(command.userMetadata?.summary).toBeDefined();
    expect(activation!.jobs[0]!.resolveNexusOperationStart).toMatchObject({ seq: 1, operationToken: 'tok' });
    expect(answer(state, [])).toEqual([]);
    nextTask(() => nexus.completed(h, scheduled, 'done'));
    const result = state.nextActivation()!.jobs[0]!.resolveNexusOperation!;
    expect(Buffer.from(result.result!.completed!.data!).toString()).toBe('"done"');
  });

  it.each([
    ['failed', nexus.failed, 'failed'],
    ['timed out', nexus.timedOut, 'timedOut'],
    ['cancelled', nexus.canceled, 'cancelled'],
  ] as const)('an operation that %s after it started resolves with the server’s failure', (_what, event, key) => {
    const { h, state, nextTask, scheduled } = scheduledOperation();
    answer(state, []);
    nextTask(() => event(h, scheduled));
    const result = state.nextActivation()!.jobs[0]!.resolveNexusOperation!.result!;
    expect(result[key]).toMatchObject({ message: _what === 'cancelled' ? 'canceled' : _what, cause: { message: 'inner' } });
  });

  it('an operation that fails before it started fails its start; no outcome follows', () => {
    const run = liveRun();
    complete(run.state, [schedule()]);
    commandsOf(run.state);
    run.nextTask((h) => nexus.failed(h, nexus.scheduled(h)));
    const jobs = run.state.nextActivation()!.jobs;
    expect(jobs.map((j) => j.variant)).toEqual(['resolveNexusOperationStart']);
    expect(jobs[0]!.resolveNexusOperationStart!.failed).toMatchObject({ message: 'failed' });
  });

  it('a completion before any Started event is a sync one: startedSync, then the result, in one activation', () => {
    const run = liveRun();
    complete(run.state, [schedule()]);
    commandsOf(run.state);
    run.nextTask((h) => nexus.completed(h, nexus.scheduled(h), 'now'));
    const jobs = run.state.nextActivation()!.jobs;
    expect(jobs.map((j) => j.variant)).toEqual(['resolveNexusOperationStart', 'resolveNexusOperation']);
    expect(jobs[0]!.resolveNexusOperationStart!.startedSync).toBe(true);
  });

  it('cancelled before it was sent: no command, the start fails as cancelled', () => {
    const run = liveRun();
    complete(run.state, [schedule(), cancel]);
    expect(run.state.nextActivation()!.jobs[0]!.resolveNexusOperationStart!.failed).toMatchObject({
      message: 'Nexus Operation cancelled before scheduled',
      cause: { canceledFailureInfo: {} },
      nexusOperationExecutionFailureInfo: { endpoint: 'ep', service: 'svc', operation: 'op' },
    });
    expect(answer(run.state, [])).toEqual([]);
  });

  it('ABANDON: no cancel request, resolved as cancelled at once; later events change nothing', () => {
    const { h, state, nextTask, scheduled } = scheduledOperation(ABANDON);
    complete(state, [cancel]);
    const failure = state.nextActivation()!.jobs[0]!.resolveNexusOperation!.result!.cancelled!;
    expect(failure).toMatchObject({ message: 'Nexus operation cancelled after starting', nexusOperationExecutionFailureInfo: { operationToken: 'tok' } });
    expect(answer(state, [])).toEqual([]);
    nextTask(() => nexus.completed(h, scheduled, 'late'));
    expect(state.nextActivation()).toBeUndefined();
  });

  it('TRY_CANCEL: sends RequestCancelNexusOperation and resolves as cancelled at once', () => {
    const { h, state, nextTask, scheduled } = scheduledOperation(TRY_CANCEL);
    complete(state, [cancel]);
    expect(state.nextActivation()!.jobs[0]!.resolveNexusOperation!.result!.cancelled).toBeDefined();
    const [request] = answer(state, []);
    expect(request).toMatchObject({ commandType: C.COMMAND_TYPE_REQUEST_CANCEL_NEXUS_OPERATION, requestCancelNexusOperationCommandAttributes: { scheduledEventId: scheduled } });
    nextTask(() => {
      nexus.cancelRequested(h, scheduled);
      nexus.cancelRequestCompleted(h, scheduled);
      nexus.canceled(h, scheduled);
    });
    expect(state.nextActivation()).toBeUndefined();
  });

  it('WAIT_CANCELLATION_REQUESTED: resolves when the handler took the request, or fails when it refused', () => {
    for (const outcome of [nexus.cancelRequestCompleted, nexus.cancelRequestFailed]) {
      const { h, state, nextTask, scheduled } = scheduledOperation(WAIT_CANCELLATION_REQUESTED);
      expect(answer(state, [cancel])).toHaveLength(1);
      nextTask(() => nexus.cancelRequested(h, scheduled));
      expect(commandsOf(state)).toEqual([]);
      nextTask(() => outcome(h, scheduled));
      const result = state.nextActivation()!.jobs[0]!.resolveNexusOperation!.result!;
      if (outcome === nexus.cancelRequestCompleted) expect(result.cancelled).toMatchObject({ message: 'Nexus operation cancellation request completed' });
      else expect(result.failed).toMatchObject({ message: 'Nexus operation cancellation request failed', cause: { message: 'refused' } });
      // The operation's own end is no news to the workflow.
      answer(state, []);
      nextTask(() => nexus.canceled(h, scheduled));
      expect(state.nextActivation()).toBeUndefined();
    }
  });

  it('WAIT_CANCELLATION_COMPLETED: resolves when the operation ends, however it ends', () => {
    const { h, state, nextTask, scheduled } = scheduledOperation(WAIT_CANCELLATION_COMPLETED);
    expect(answer(state, [cancel])).toHaveLength(1);
    nextTask(() => {
      nexus.cancelRequested(h, scheduled);
      nexus.cancelRequestCompleted(h, scheduled);
    });
    expect(commandsOf(state)).toEqual([]);
    nextTask(() => nexus.canceled(h, scheduled));
    expect(state.nextActivation()!.jobs[0]!.resolveNexusOperation!.result!.cancelled).toMatchObject({ message: 'canceled' });
  });

  it('a cancel request outcome for an operation never cancelled is nondeterminism', () => {
    const { h, state, nextTask, scheduled } = scheduledOperation();
    answer(state, []);
    const error = thrown(() => nextTask(() => nexus.cancelRequestCompleted(h, scheduled)));
    expect(hasErrorCode(error, 'WORKFLOW_NONDETERMINISM')).toBe(true);
  });

  it('replay: a different operation than history recorded is nondeterminism naming both', () => {
    const h = new HistoryBuilder().started().workflowTask();
    nexus.scheduled(h, 'recorded-op');
    h.workflowTask({ complete: false });
    const state = newRun();
    state.applyWorkflowTask({ events: h.events, previousStartedEventId: h.lastStartedId, startedEventId: h.lastStartedId });
    state.nextActivation();
    const error = thrown(() => complete(state, [schedule(WAIT_CANCELLATION_COMPLETED, 'code-op')]));
    expect(hasErrorCode(error, 'WORKFLOW_NONDETERMINISM')).toBe(true);
    expect((error as Error).message).toMatch(/NexusOperationScheduled: operation 'svc\/recorded-op'.*operation 'svc\/code-op'.*Nexus operation differs/);
  });

  it('replay: history holds a Nexus operation where the code started a timer', () => {
    const h = new HistoryBuilder().started().workflowTask();
    nexus.scheduled(h);
    h.workflowTask({ complete: false });
    const state = newRun();
    state.applyWorkflowTask({ events: h.events, previousStartedEventId: h.lastStartedId, startedEventId: h.lastStartedId });
    state.nextActivation();
    expect((thrown(() => complete(state, [cmd.timer(1)])) as Error).message).toMatch(/NexusOperationScheduled.*issued StartTimer/);
  });

  it('replay of a whole cancelled-operation history gives the same jobs as the live run', () => {
    const h = new HistoryBuilder().started().workflowTask();
    const scheduled = nexus.scheduled(h);
    nexus.started(h, scheduled);
    h.workflowTask();
    nexus.cancelRequested(h, scheduled);
    nexus.cancelRequestCompleted(h, scheduled);
    nexus.canceled(h, scheduled);
    h.workflowTask({ complete: false });
    const state = newRun();
    state.applyWorkflowTask({ events: h.events, previousStartedEventId: h.lastStartedId, startedEventId: h.lastStartedId });
    expect(variants(state.nextActivation())).toEqual(['initializeWorkflow']);
    complete(state, [schedule()]);
    expect(variants(state.nextActivation())).toEqual(['resolveNexusOperationStart']);
    complete(state, [cancel]);
    expect(variants(state.nextActivation())).toEqual(['resolveNexusOperation']);
  });
});
