/**
 * Shared steps for the command-machine tests: a live run fed one workflow task at a time, the
 * commands it answers with, and history events for child workflows and external workflows.
 */
import proto from '@temporalio/proto';
import { expect } from 'vitest';
import type { WorkflowRunState } from '../../../core/workflow/workflow-run-state.js';
import { HistoryBuilder, payload } from './history-builder.js';
import { newRun } from './run-helpers.js';

type ICommand = proto.temporal.api.command.v1.ICommand;
export const T = proto.temporal.api.enums.v1.EventType;
export const C = proto.temporal.api.enums.v1.CommandType;

/** A new run whose first activation (initializeWorkflow) was taken and awaits its completion. */
export function liveRun(): {
  h: HistoryBuilder;
  state: WorkflowRunState;
  /** Completes the current task in history, appends `build`'s events and a new task, feeds them. */
  nextTask(build: (h: HistoryBuilder) => void): void;
} {
  const h = new HistoryBuilder().started().workflowTask({ complete: false });
  const state = newRun();
  state.applyWorkflowTask({ events: h.events, previousStartedEventId: 0, startedEventId: h.lastStartedId });
  state.nextActivation();
  return {
    h,
    state,
    nextTask(build) {
      const from = h.lastId;
      h.completed();
      build(h);
      h.workflowTask({ complete: false });
      state.applyWorkflowTask({ events: h.events.slice(from), previousStartedEventId: from, startedEventId: h.lastStartedId });
    },
  };
}

/** The commands the task is answered with; the task must have no activation left. */
export function commandsOf(state: WorkflowRunState): ICommand[] {
  expect(state.nextActivation()).toBeUndefined();
  const outcome = state.takeTaskOutcome();
  if (outcome.kind !== 'complete') throw new Error(`expected a completed task, got ${outcome.kind}`);
  return outcome.commands;
}

/** Runs `fn` and returns what it threw. */
export function thrown(fn: () => void): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

export const child = {
  initiated: (h: HistoryBuilder, workflowId = 'child-1', type = 'child'): number =>
    h.event(T.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED, {
      startChildWorkflowExecutionInitiatedEventAttributes: { namespace: 'default', workflowId, workflowType: { name: type }, taskQueue: { name: 'tq' } },
    }),
  started: (h: HistoryBuilder, initiatedEventId: number, runId = 'child-run'): number =>
    h.event(T.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED, {
      childWorkflowExecutionStartedEventAttributes: { initiatedEventId, workflowExecution: { workflowId: 'child-1', runId }, workflowType: { name: 'child' } } as never,
    }),
  startFailed: (h: HistoryBuilder, initiatedEventId: number): number =>
    h.event(T.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED, {
      startChildWorkflowExecutionFailedEventAttributes: {
        initiatedEventId,
        workflowId: 'child-1',
        cause: proto.temporal.api.enums.v1.StartChildWorkflowExecutionFailedCause.START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS,
      } as never,
    }),
  completed: (h: HistoryBuilder, initiatedEventId: number, startedEventId: number, result: unknown): number =>
    h.event(T.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED, {
      childWorkflowExecutionCompletedEventAttributes: { initiatedEventId, startedEventId, result: { payloads: [payload(result)] } } as never,
    }),
  failed: (h: HistoryBuilder, initiatedEventId: number, startedEventId: number): number =>
    h.event(T.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED, {
      childWorkflowExecutionFailedEventAttributes: {
        initiatedEventId,
        startedEventId,
        retryState: proto.temporal.api.enums.v1.RetryState.RETRY_STATE_RETRY_POLICY_NOT_SET,
        failure: { message: 'child broke', applicationFailureInfo: { type: 'ChildBoom' } },
      } as never,
    }),
  timedOut: (h: HistoryBuilder, initiatedEventId: number, startedEventId: number): number =>
    h.event(T.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT, {
      childWorkflowExecutionTimedOutEventAttributes: { initiatedEventId, startedEventId, retryState: proto.temporal.api.enums.v1.RetryState.RETRY_STATE_TIMEOUT } as never,
    }),
  terminated: (h: HistoryBuilder, initiatedEventId: number, startedEventId: number): number =>
    h.event(T.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED, { childWorkflowExecutionTerminatedEventAttributes: { initiatedEventId, startedEventId } as never }),
  canceled: (h: HistoryBuilder, initiatedEventId: number, startedEventId: number): number =>
    h.event(T.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED, { childWorkflowExecutionCanceledEventAttributes: { initiatedEventId, startedEventId } as never }),
};

export const external = {
  cancelInitiated: (h: HistoryBuilder, workflowId = 'child-1', childWorkflowOnly = true): number =>
    h.event(T.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED, {
      requestCancelExternalWorkflowExecutionInitiatedEventAttributes: { namespace: 'default', workflowExecution: { workflowId }, childWorkflowOnly },
    }),
  cancelRequested: (h: HistoryBuilder, initiatedEventId: number): number =>
    h.event(T.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED, { externalWorkflowExecutionCancelRequestedEventAttributes: { initiatedEventId } as never }),
  cancelFailed: (h: HistoryBuilder, initiatedEventId: number): number =>
    h.event(T.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED, {
      requestCancelExternalWorkflowExecutionFailedEventAttributes: {
        initiatedEventId,
        cause: proto.temporal.api.enums.v1.CancelExternalWorkflowExecutionFailedCause.CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND,
      } as never,
    }),
  signalInitiated: (h: HistoryBuilder, workflowId = 'target', signalName = 'ping'): number =>
    h.event(T.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED, {
      signalExternalWorkflowExecutionInitiatedEventAttributes: { namespace: 'default', workflowExecution: { workflowId }, signalName },
    }),
  signaled: (h: HistoryBuilder, initiatedEventId: number): number =>
    h.event(T.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED, { externalWorkflowExecutionSignaledEventAttributes: { initiatedEventId } as never }),
  signalFailed: (h: HistoryBuilder, initiatedEventId: number): number =>
    h.event(T.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED, {
      signalExternalWorkflowExecutionFailedEventAttributes: {
        initiatedEventId,
        cause: proto.temporal.api.enums.v1.SignalExternalWorkflowExecutionFailedCause.SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND,
      } as never,
    }),
};
