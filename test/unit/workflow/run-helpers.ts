/** Drives a WorkflowRunState the way the poller does, with hand-written completions. */
import proto from '@temporalio/proto';
import { int64 } from '../../../core/workflow/proto-types.js';
import { WorkflowRunState } from '../../../core/workflow/workflow-run-state.js';
import { RUN_ID } from './history-builder.js';

type IWorkflowCommand = proto.coresdk.workflow_commands.IWorkflowCommand;
type Activation = proto.coresdk.workflow_activation.WorkflowActivation;

export function newRun(): WorkflowRunState {
  return new WorkflowRunState({ namespace: 'default', taskQueue: 'tq', runId: RUN_ID, workflowId: 'wf-id', workflowType: 'wf' });
}

export function complete(state: WorkflowRunState, commands: IWorkflowCommand[]): void {
  state.applyCompletion({ runId: RUN_ID, successful: { commands } });
}

/** Job variants of an activation, e.g. `['initializeWorkflow', 'signalWorkflow']`. */
export function variants(activation: Activation | undefined): string[] {
  return (activation?.jobs ?? []).map((j) => j.variant ?? 'none');
}

export const cmd = {
  timer: (seq: number, ms = 1000): IWorkflowCommand => ({ startTimer: { seq, startToFireTimeout: { seconds: int64(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 } } }),
  cancelTimer: (seq: number): IWorkflowCommand => ({ cancelTimer: { seq } }),
  activity: (seq: number, type = 'greet', cancellationType = 0): IWorkflowCommand => ({
    scheduleActivity: { seq, activityId: String(seq), activityType: type, startToCloseTimeout: { seconds: int64(10) }, cancellationType },
  }),
  cancelActivity: (seq: number): IWorkflowCommand => ({ requestCancelActivity: { seq } }),
  patch: (patchId: string, deprecated = false): IWorkflowCommand => ({ setPatchMarker: { patchId, deprecated } }),
  complete: (): IWorkflowCommand => ({ completeWorkflowExecution: {} }),
};
