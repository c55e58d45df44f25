import proto from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { workflowTaskFailures } from '../../../test/conformance/history-diagnosis.js';

const { WorkflowTaskFailedCause } = proto.temporal.api.enums.v1;

describe('workflowTaskFailures', () => {
  it('gives each distinct cause and first message line once, in order', () => {
    const failed = (cause: number, message: string) => ({ workflowTaskFailedEventAttributes: { cause, failure: { message } } });
    const events = [
      { workflowExecutionStartedEventAttributes: {} },
      failed(WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND, 'x'),
      failed(WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE, 'Unsupported command startChildWorkflowExecution\n  at stack'),
      failed(WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE, 'Unsupported command startChildWorkflowExecution\n  at other'),
    ];
    expect(workflowTaskFailures(events)).toEqual(['UNHANDLED_COMMAND: x', 'WORKFLOW_WORKER_UNHANDLED_FAILURE: Unsupported command startChildWorkflowExecution']);
  });

  it('is empty for a history without workflow task failures', () => {
    expect(workflowTaskFailures([{ workflowExecutionCompletedEventAttributes: {} }])).toEqual([]);
  });
});
