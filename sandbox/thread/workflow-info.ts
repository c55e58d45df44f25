/**
 * Builds a run's `WorkflowInfo` from its first activation, and refreshes the per-activation
 * fields on later ones: the same mapping the official worker applies, so workflow code sees
 * the same `workflowInfo()` as on the official worker.
 */
import common from '@temporalio/common';
import continueAsNew from '@temporalio/common/lib/continue-as-new.js';
import time from '@temporalio/common/lib/time.js';
import type { coresdk } from '@temporalio/proto';
import type { WorkflowInfo } from '@temporalio/workflow';
import randomHelpers from '@temporalio/workflow/lib/random-helpers.js';
import type { RunCreateOptions } from '../protocol.js';

type Activation = coresdk.workflow_activation.WorkflowActivation;
type InitializeWorkflow = coresdk.workflow_activation.IInitializeWorkflow;

/** Fields of `WorkflowInfo` that change with every (non-query) activation. */
export function activationInfoFields(activation: Activation, replaying: boolean) {
  return {
    historyLength: activation.historyLength,
    // 0 means the server (pre 1.20) did not report a size.
    historySize: activation.historySizeBytes?.toNumber() ?? 0,
    continueAsNewSuggested: activation.continueAsNewSuggested ?? false,
    targetWorkerDeploymentVersionChanged: activation.targetWorkerDeploymentVersionChanged ?? false,
    suggestedContinueAsNewReasons: continueAsNew.suggestContinueAsNewReasonsFromProto(activation.suggestContinueAsNewReasons),
    currentBuildId: activation.deploymentVersionForCurrentTask?.buildId ?? '',
    currentDeploymentVersion: common.convertDeploymentVersion(activation.deploymentVersionForCurrentTask),
    replaying,
  };
}

/** Applies {@link activationInfoFields} to an existing info (copy-on-write, as the activator expects). */
export function withActivationFields(info: WorkflowInfo, activation: Activation): WorkflowInfo {
  const { replaying, ...fields } = activationInfoFields(activation, activation.isReplaying ?? false);
  return { ...info, ...fields, unsafe: { ...info.unsafe, isReplaying: replaying, isReplayingHistoryEvents: replaying } };
}

function requireField<T>(value: T | null | undefined, name: string): T {
  if (value === null || value === undefined) throw new TypeError(`initializeWorkflow.${name} is required`);
  return value;
}

/**
 * The info for a new run. Payload-bearing fields (memo, search attributes, last result) are
 * left for the activator's own `initializeWorkflow` handler, which decodes them inside the context
 * with the bundle's payload converter.
 */
export function buildWorkflowInfo(activation: Activation, init: InitializeWorkflow, options: RunCreateOptions): WorkflowInfo {
  if (activation.timestamp == null) throw new TypeError('The first activation must carry a timestamp');
  const { parentWorkflowInfo: parent, rootWorkflow: root } = init;
  const { replaying, ...fields } = activationInfoFields(activation, activation.isReplaying ?? false);
  return {
    workflowId: requireField(init.workflowId, 'workflowId'),
    runId: activation.runId,
    workflowType: requireField(init.workflowType, 'workflowType'),
    searchAttributes: {},
    typedSearchAttributes: new common.TypedSearchAttributes(),
    parent: parent?.workflowId && parent.runId && parent.namespace ? { workflowId: parent.workflowId, runId: parent.runId, namespace: parent.namespace } : undefined,
    root: root?.workflowId && root.runId ? { workflowId: root.workflowId, runId: root.runId } : undefined,
    taskQueue: options.taskQueue,
    namespace: options.namespace,
    firstExecutionRunId: requireField(init.firstExecutionRunId, 'firstExecutionRunId'),
    originalExecutionRunId: init.originalExecutionRunId || activation.runId,
    continuedFromExecutionRunId: init.continuedFromExecutionRunId || undefined,
    startTime: time.tsToDate(requireField(init.startTime, 'startTime')),
    runStartTime: time.tsToDate(activation.timestamp),
    executionTimeoutMs: time.optionalTsToMs(init.workflowExecutionTimeout),
    executionExpirationTime: time.optionalTsToDate(init.workflowExecutionExpirationTime),
    runTimeoutMs: time.optionalTsToMs(init.workflowRunTimeout),
    taskTimeoutMs: time.requiredTsToMs(init.workflowTaskTimeout, 'workflowTaskTimeout'),
    retryPolicy: common.decompileRetryPolicy(init.retryPolicy),
    attempt: requireField(init.attempt, 'attempt'),
    cronSchedule: init.cronSchedule || undefined,
    // 0 is the proto default and not a valid interval (crons are at least a minute apart).
    cronScheduleToScheduleInterval: time.optionalTsToMs(init.cronScheduleToScheduleInterval) || undefined,
    ...fields,
    unsafe: {
      // Both replaced by initRuntime with the context's own clock and random source.
      now: () => Date.now(),
      random: randomHelpers.createUnsafeRandomSource(Math.random),
      isReplaying: replaying,
      isReplayingHistoryEvents: replaying,
    },
    priority: common.decodePriority(init.priority),
  };
}
