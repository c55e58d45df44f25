/**
 * Signalling and cancelling other workflows on our runtime against the official worker (real
 * server): the signal with its header, the cancel request, and both failing on a missing workflow.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { workerPair, type Scenario } from './worker-pair.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/workflows/workflow-api');
const pair = workerPair({
  workflowsPath: path.join(fixtures, 'external-workflows.ts'),
  interceptorModules: [path.join(fixtures, 'origin-header-interceptors.ts')],
});

/** Starts `targetType`, then `type` aimed at it; both histories are compared. */
const aimedAt =
  (type: string, targetType: string): Scenario =>
  async (side) => {
    const target = await side.client.workflow.start(targetType, { taskQueue: side.taskQueue, workflowId: side.id(`${type}-target`) });
    const sender = await side.client.workflow.start(type, { taskQueue: side.taskQueue, workflowId: side.id(type), args: [target.workflowId] });
    const result = { sender: await sender.result(), target: await target.result() };
    return { handles: [sender, target], result };
  };

const alone =
  (type: string): Scenario =>
  async (side) => {
    const handle = await side.client.workflow.start(type, { taskQueue: side.taskQueue, workflowId: side.id(type) });
    return { handles: [handle], result: await handle.result() };
  };

describe('external workflows, ours vs the official worker (real server)', () => {
  it('signals another workflow; the signal carries the header an interceptor put on it', async () => {
    const { ours } = await pair.compare(aimedAt('signalsExternal', 'signalTarget'));
    expect(ours).toEqual({ sender: 'sent', target: { value: 'hello', origin: 'a workflow' } });
  });

  it('requests the cancellation of another workflow', async () => {
    const { ours } = await pair.compare(aimedAt('cancelsExternal', 'cancelTarget'));
    expect(ours).toEqual({ sender: 'requested', target: 'cancelled' });
  });

  it('a signal to a workflow that does not exist fails with ExternalWorkflowExecutionNotFound', async () => {
    const { ours } = await pair.compare(alone('signalsMissing'));
    expect(ours).toEqual({ name: 'ApplicationFailure', message: 'Unable to signal external workflow because it was not found', type: 'ExternalWorkflowExecutionNotFound' });
  });

  it('a cancel request to a workflow that does not exist fails with ExternalWorkflowExecutionNotFound', async () => {
    const { ours } = await pair.compare(alone('cancelsMissing'));
    expect(ours).toEqual({ name: 'ApplicationFailure', message: 'Unable to cancel external workflow because not found', type: 'ExternalWorkflowExecutionNotFound' });
  });

  it('a signal cancelled before it was sent is never sent and rejects with CancelledFailure', async () => {
    const scenario: Scenario = async (side) => {
      const handle = await side.client.workflow.start('cancelsSignalBeforeSent', { taskQueue: side.taskQueue, workflowId: side.id('withdrawn'), args: [side.id('nobody')] });
      return { handles: [handle], result: await handle.result() };
    };
    const { ours } = await pair.compare(scenario);
    expect(ours).toMatchObject({ name: 'CancelledFailure' });
  });
});
