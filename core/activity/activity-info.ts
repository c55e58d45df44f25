import type { Info } from '@temporalio/activity';
import { decodePriority, decompileRetryPolicy, type LoadedDataConverter } from '@temporalio/common';
import { optionalTsToMs, tsToMs } from '@temporalio/common/lib/time.js';
import type { temporal } from '../connection/proto.js';
import { decodeArray } from './payload-fast-path.js';

type ActivityTask = temporal.api.workflowservice.v1.IPollActivityTaskQueueResponse;

/**
 * Builds the `@temporalio/activity` {@link Info} of a polled task, decoding its heartbeat details;
 * at once (no promise) when the converter has no codec.
 */
export function activityInfoFromTask(
  task: ActivityTask,
  ctx: { namespace: string; taskQueue: string; dataConverter: LoadedDataConverter },
  opts: { heartbeatDetails?: boolean } = {},
): Info | Promise<Info> {
  // `heartbeatDetails: false` builds the info of a task whose details cannot be decoded, to answer it.
  if (opts.heartbeatDetails === false) return infoOf(task, ctx, []);
  const details = decodeArray(ctx.dataConverter, task.heartbeatDetails?.payloads);
  return Array.isArray(details) ? infoOf(task, ctx, details) : details.then((d) => infoOf(task, ctx, d));
}

function infoOf(task: ActivityTask, ctx: { namespace: string; taskQueue: string }, details: unknown[]): Info {
  const taskToken = task.taskToken!;
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
