/**
 * The API commands a child workflow sends, built as the official core builds them so that either
 * runtime's history replays on the other.
 */
import * as proto from '../connection/proto.js';
import type { CancelTarget } from './machines/cancel-external-machine.js';
import { CommandType, type ICommand } from './proto-types.js';

type IStartChild = proto.coresdk.workflow_commands.IStartChildWorkflowExecution;
const TaskQueueKind = proto.temporal.api.enums.v1.TaskQueueKind;

/** StartChildWorkflowExecution; `inheritBuildId` as for activities (see useCompatibleVersion). */
export function startChildWorkflowCommand(a: IStartChild, inheritBuildId: boolean): ICommand {
  return {
    commandType: CommandType.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION,
    startChildWorkflowExecutionCommandAttributes: {
      namespace: a.namespace,
      workflowId: a.workflowId,
      workflowType: { name: a.workflowType },
      taskQueue: { name: a.taskQueue, kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      input: { payloads: a.input ?? [] },
      workflowExecutionTimeout: a.workflowExecutionTimeout,
      workflowRunTimeout: a.workflowRunTimeout,
      workflowTaskTimeout: a.workflowTaskTimeout,
      // The coresdk and API enums share their numbers.
      parentClosePolicy: a.parentClosePolicy as number,
      workflowIdReusePolicy: a.workflowIdReusePolicy,
      retryPolicy: a.retryPolicy,
      cronSchedule: a.cronSchedule,
      // The official core always sends header and memo, empty or not.
      header: { fields: a.headers ?? {} },
      memo: { fields: a.memo ?? {} },
      searchAttributes: a.searchAttributes,
      inheritBuildId,
      priority: a.priority,
    },
  };
}

/** The RequestCancelExternalWorkflowExecution target for a parent cancelling its child. */
export function childCancelTarget(a: IStartChild, runId: string, reason: string): CancelTarget {
  return { namespace: a.namespace ?? '', workflowId: a.workflowId ?? '', runId, childWorkflowOnly: true, reason };
}
