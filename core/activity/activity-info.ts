import type { Info } from '@temporalio/activity';
import { decodePriority, decompileRetryPolicy, type LoadedDataConverter } from '@temporalio/common';
import { decodeArrayFromPayloads } from '@temporalio/common/lib/internal-non-workflow/codec-helpers.js';
import { optionalTsToMs, tsToMs } from '@temporalio/common/lib/time.js';
import type { temporal } from '../connection/proto.js';

type ActivityTask = temporal.api.workflowservice.v1.IPollActivityTaskQueueResponse;

/** Builds the `@temporalio/activity` {@link Info} of a polled task, decoding its heartbeat details. */
export async function activityInfoFromTask(
  task: ActivityTask,
  ctx: { namespace: string; taskQueue: string; dataConverter: LoadedDataConverter },
  opts: { heartbeatDetails?: boolean } = {},
): Promise<Info> {
  const taskToken = task.taskToken!;
  // `heartbeatDetails: false` builds the info of a task whose details cannot be decoded, to answer it.
  const details = opts.heartbeatDetails === false ? [] : await decodeArrayFromPayloads(ctx.dataConverter, task.heartbeatDetails?.payloads);
  return {
    taskToken,
    base64TaskToken: Buffer.from(taskToken).toString('base64'),
    activityId: task.activityId ?? '',
    activityType: task.activityType?.name ?? '',
    activityNamespace: ctx.namespace,
    namespace: ctx.namespace,
    attempt: task.attempt ?? 1,
    isLocal: false,
    inWorkflow: true,
    workflowExecution: { workflowId: task.workflowExecution?.workflowId ?? '', runId: task.workflowExecution?.runId ?? '' },
    workflowNamespace: task.workflowNamespace ?? ctx.namespace,
    workflowType: task.workflowType?.name ?? undefined,
    scheduledTimestampMs: tsToMs(task.scheduledTime),
    currentAttemptScheduledTimestampMs: tsToMs(task.currentAttemptScheduledTime),
    scheduleToCloseTimeoutMs: optionalTsToMs(task.scheduleToCloseTimeout) ?? 0,
    startToCloseTimeoutMs: optionalTsToMs(task.startToCloseTimeout) ?? 0,
    heartbeatTimeoutMs: optionalTsToMs(task.heartbeatTimeout) || undefined,
    heartbeatDetails: details[0],
    taskQueue: ctx.taskQueue,
    priority: decodePriority(task.priority),
    retryPolicy: decompileRetryPolicy(task.retryPolicy),
  };
}
