/**
 * Bundled into the workflow sandbox by `builtin:structured-logging`: logs each run's end with its
 * outcome through the workflow `log` (replay-safe: the SDK drops log lines during replay).
 */
import { log, type WorkflowExecuteInput, type WorkflowInboundCallsInterceptor, type WorkflowInterceptorsFactory, type Next } from '@temporalio/workflow';

class RunOutcomeLogger implements WorkflowInboundCallsInterceptor {
  async execute(input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    try {
      const result = await next(input);
      log.info('Workflow run completed');
      return result;
    } catch (error) {
      log.warn('Workflow run ended with an error', { error: (error as Error)?.message });
      throw error;
    }
  }
}

export const interceptors: WorkflowInterceptorsFactory = () => ({ inbound: [new RunOutcomeLogger()] });
