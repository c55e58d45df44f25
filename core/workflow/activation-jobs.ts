/**
 * Activation jobs that come straight from history events, and the job order the official core
 * guarantees within one activation (the workflow library relies on it during replay).
 */
import * as proto from '../connection/proto.js';
import { HistoryError } from './errors.js';
import { randomnessSeedFromRunId } from './randomness-seed.js';
import { eventIdOf, type IHistoryEvent, type IWorkflowActivationJob } from './proto-types.js';

type IInitializeWorkflow = proto.coresdk.workflow_activation.IInitializeWorkflow;

/** The InitializeWorkflow job, filled from WorkflowExecutionStarted like the official core fills it. */
export function initializeWorkflowJob(event: IHistoryEvent, workflowId: string): IWorkflowActivationJob {
  const a = event.workflowExecutionStartedEventAttributes;
  if (!a) throw new HistoryError(`Event ${eventIdOf(event)} is WorkflowExecutionStarted without attributes.`);
  const parent = a.parentWorkflowExecution;
  const init: IInitializeWorkflow = {
    workflowType: a.workflowType?.name ?? '',
    workflowId,
    arguments: a.input?.payloads ?? [],
    // The seed follows the original run id so that a reset run keeps the original's randomness.
    randomnessSeed: randomnessSeedFromRunId(a.originalExecutionRunId ?? '').toString() as never,
    headers: a.header?.fields ?? {},
    identity: a.identity ?? '',
    parentWorkflowInfo: parent
      ? { namespace: a.parentWorkflowNamespace ?? '', workflowId: parent.workflowId ?? '', runId: parent.runId ?? '' }
      : null,
    workflowExecutionTimeout: a.workflowExecutionTimeout,
    workflowRunTimeout: a.workflowRunTimeout,
    workflowTaskTimeout: a.workflowTaskTimeout,
    continuedFromExecutionRunId: a.continuedExecutionRunId ?? '',
    continuedInitiator: a.initiator ?? 0,
    continuedFailure: a.continuedFailure,
    lastCompletionResult: a.lastCompletionResult,
    firstExecutionRunId: a.firstExecutionRunId ?? '',
    // The official core fills a missing initial interval with zero; the workflow library expects it set.
    retryPolicy: a.retryPolicy ? { ...a.retryPolicy, initialInterval: a.retryPolicy.initialInterval ?? {} } : null,
    attempt: a.attempt ?? 0,
    cronSchedule: a.cronSchedule ?? '',
    workflowExecutionExpirationTime: a.workflowExecutionExpirationTime,
    cronScheduleToScheduleInterval: a.firstWorkflowTaskBackoff,
    memo: a.memo,
    searchAttributes: a.searchAttributes,
    startTime: event.eventTime ?? {},
    rootWorkflow: a.rootWorkflowExecution,
    priority: a.priority,
    originalExecutionRunId: a.originalExecutionRunId ?? '',
  };
  return { initializeWorkflow: init };
}

export function signalJob(event: IHistoryEvent): IWorkflowActivationJob {
  const a = event.workflowExecutionSignaledEventAttributes ?? {};
  return {
    signalWorkflow: {
      signalName: a.signalName ?? '',
      input: a.input?.payloads ?? [],
      identity: a.identity ?? '',
      headers: a.header?.fields ?? {},
      // Lets the workflow library group the commands a signal handler issues with the signal.
      originatingEventId: eventIdOf(event) as never,
    },
  };
}

export function cancelWorkflowJob(event: IHistoryEvent): IWorkflowActivationJob {
  return { cancelWorkflow: { reason: event.workflowExecutionCancelRequestedEventAttributes?.cause ?? '' } };
}

export function updateRandomSeedJob(newRunId: string): IWorkflowActivationJob {
  return { updateRandomSeed: { randomnessSeed: randomnessSeedFromRunId(newRunId).toString() as never } };
}

/** Init, patches, seed updates, signals/updates, everything else, local activities, queries, evictions. */
function jobRank(job: IWorkflowActivationJob): number {
  if (job.initializeWorkflow) return 0;
  if (job.notifyHasPatch) return 1;
  if (job.updateRandomSeed) return 2;
  if (job.signalWorkflow || job.doUpdate) return 3;
  if (job.resolveActivity?.isLocal) return 5;
  if (job.queryWorkflow) return 6;
  if (job.removeFromCache) return 7;
  return 4;
}

/** Stable sort: jobs of equal rank keep the order history gave them. */
export function sortJobs(jobs: IWorkflowActivationJob[]): IWorkflowActivationJob[] {
  return jobs
    .map((job, i) => ({ job, i, rank: jobRank(job) }))
    .sort((a, b) => a.rank - b.rank || a.i - b.i)
    .map((x) => x.job);
}
