/**
 * What a failed workflow task says about itself: a stable code, the first line of its message,
 * the WorkflowTaskFailedCause it was reported with, and sdk-core's `failure_reason` metric label.
 * Every failure is logged at WARN through {@link logWorkflowTaskFailure}, so deadlocks, threads
 * out of memory, workflow modules that throw at import, unhandled rejections and oversized
 * answers all leave a line naming the workflow type and run.
 */
import { status } from '../connection/grpc-status.js';
import { ServiceCallError, type Connection } from '../connection/connection.js';
import { temporal } from '../connection/proto.js';
import { RuntimeError } from '../errors.js';
import type { Logger } from '../logger.js';

type Task = temporal.api.workflowservice.v1.PollWorkflowTaskQueueResponse;
type Failure = temporal.api.failure.v1.IFailure;
const Cause = temporal.api.enums.v1.WorkflowTaskFailedCause;

/** sdk-core's values of the `failure_reason` label of `temporal_workflow_task_execution_failed`. */
export type WorkflowTaskFailureReason = 'NonDeterminismError' | 'WorkflowError' | 'GrpcMessageTooLarge';

/** One failed workflow task, as logs, `lastError` and metrics show it. */
export interface WorkflowTaskFailure {
  /** Ours where we have one (`WORKFLOW_DEADLOCK`, `WORKFLOW_NONDETERMINISM`, `GRPC_MESSAGE_TOO_LARGE`…), else the failure's type. */
  readonly code: string;
  /** First line of the failure's message. */
  readonly message: string;
  /** The WorkflowTaskFailedCause, without its prefix (`WORKFLOW_WORKER_UNHANDLED_FAILURE`). */
  readonly cause: string;
  readonly failureReason: WorkflowTaskFailureReason;
}

/** The code of an answer the server refused for its size. */
export const MESSAGE_TOO_LARGE_CODE = 'GRPC_MESSAGE_TOO_LARGE';

function causeName(cause: number): string {
  return (Cause[cause] ?? String(cause)).replace(/^WORKFLOW_TASK_FAILED_CAUSE_/, '');
}

function firstLine(message: string | null | undefined): string {
  return (message ?? '').split('\n', 1)[0]!.trim();
}

/** A task our worker failed (workflow code threw, nondeterminism, deadlock, a crashed thread…). */
export function describeFailedTask(cause: number, failure: Failure): WorkflowTaskFailure {
  const nondeterminism = cause === Cause.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR;
  const tooLarge = cause === Cause.WORKFLOW_TASK_FAILED_CAUSE_GRPC_MESSAGE_TOO_LARGE;
  const type = failure.applicationFailureInfo?.type;
  return {
    code: tooLarge ? MESSAGE_TOO_LARGE_CODE : nondeterminism && !type ? 'WORKFLOW_NONDETERMINISM' : type || 'WORKFLOW_TASK_FAILED',
    message: firstLine(failure.message),
    cause: causeName(cause),
    failureReason: tooLarge ? 'GrpcMessageTooLarge' : nondeterminism ? 'NonDeterminismError' : 'WorkflowError',
  };
}

/** A task whose answer the server refused (or that could not be sent): its run is evicted and replayed. */
export function describeRefusedAnswer(err: unknown): WorkflowTaskFailure {
  return {
    code: err instanceof RuntimeError ? err.code : 'UNEXPECTED',
    message: firstLine(err instanceof Error ? err.message : String(err)),
    cause: 'ANSWER_REFUSED',
    failureReason: 'WorkflowError',
  };
}

/**
 * The server refused our completion for its size ("message larger than max"). Sending it again
 * cannot help; as sdk-core does, fail the task with cause GRPC_MESSAGE_TOO_LARGE, so the reason is
 * in the workflow's history rather than a silent loop of workflow-task timeouts.
 */
export async function failTaskTooLarge(connection: Connection, task: Task, identity: string, err: unknown): Promise<WorkflowTaskFailure> {
  const failure: Failure = {
    message: `GRPC Message too large: the workflow task's answer exceeds the server's gRPC message limit (${err instanceof ServiceCallError ? err.details : String(err)})`,
    source: 'TypeScriptSDK',
    applicationFailureInfo: { type: 'GrpcMessageTooLarge', nonRetryable: true },
  };
  const cause = Cause.WORKFLOW_TASK_FAILED_CAUSE_GRPC_MESSAGE_TOO_LARGE;
  await connection
    .call('respondWorkflowTaskFailed', { taskToken: task.taskToken, namespace: connection.namespace, identity, cause, failure })
    .catch((e: unknown) => {
      if (!(e instanceof ServiceCallError && e.grpcCode === status.NOT_FOUND)) throw e;
    });
  return describeFailedTask(cause, failure);
}

/** Codes that no retry of the task can cure: the code or the runtime must change first. */
const NEEDS_A_CHANGE = new Set(['WORKFLOW_COMMAND_UNSUPPORTED', 'WORKFLOW_NONDETERMINISM']);

/**
 * One line per failed workflow task, with its code, cause, workflow type, run and attempt: WARN
 * `Workflow task failed: <code>: <first line>`. One that no retry can cure (an unsupported
 * command, nondeterminism) is an ERROR on its first attempt and DEBUG after: the server retries
 * the task forever, and each retry would otherwise repeat the line.
 */
export function logWorkflowTaskFailure(logger: Logger, f: WorkflowTaskFailure, task: Task, error?: unknown): void {
  const attempt = task.attempt ?? 1;
  const meta = {
    code: f.code,
    cause: f.cause,
    workflowType: task.workflowType?.name ?? '',
    workflowId: task.workflowExecution?.workflowId ?? '',
    runId: task.workflowExecution?.runId ?? '',
    attempt,
    ...(error === undefined ? {} : { error }),
  };
  if (!NEEDS_A_CHANGE.has(f.code)) logger.warn(`Workflow task failed: ${f.code}: ${f.message}`, meta);
  else if (attempt <= 1) logger.error(`Workflow task failed and will keep failing until the workflow runs where this is fixed: ${f.message}`, meta);
  else logger.debug('Workflow task failed again', meta);
}
