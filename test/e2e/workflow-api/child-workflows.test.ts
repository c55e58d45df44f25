/**
 * Child workflows on our runtime against the official worker (real server): start with every
 * option, results and each kind of failure, start failed, signals to a child, parent-close
 * policies, and cancelling a child with each cancellation type.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkflowExecutionStatusName } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import type { CancelType } from '../../fixtures/workflows/workflow-api/child-workflows.js';
import { waitFor } from '../../helpers/temporal.js';
import { workerPair, type Scenario, type Side } from './worker-pair.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/workflows/workflow-api');
// The interceptors put a header on every child start: the child reports whether it arrived.
const pair = workerPair({ workflowsPath: path.join(fixtures, 'child-workflows.ts'), interceptorModules: [path.join(fixtures, 'origin-header-interceptors.ts')] });

/** Runs `type` to its end; the parent's history is compared. */
const parent =
  (type: string, args: unknown[] = [], during?: (side: Side, workflowId: string) => Promise<void>): Scenario =>
  async (side) => {
    const workflowId = side.id(type + args.join('-'));
    const handle = await side.client.workflow.start(type, { taskQueue: side.taskQueue, workflowId, args });
    await during?.(side, workflowId);
    return { handles: [handle], result: await handle.result() };
  };

async function statusOf(side: Side, workflowId: string): Promise<WorkflowExecutionStatusName> {
  return (await side.client.workflow.getHandle(workflowId).describe()).status.name;
}

describe('child workflows, ours vs the official worker (real server)', () => {
  it('executeChild with memo, search attributes, retry, timeouts, policies, a header: the child sees them and its result comes back', async () => {
    const { ours } = await pair.compare(parent('parentExecutesChild'));
    expect(ours).toEqual({
      value: 'hello',
      parentIsCaller: true,
      memo: { note: 'from parent' },
      keyword: ['kw'],
      int: 7,
      maximumAttempts: 2,
      cron: null,
      headerOrigin: 'a workflow',
    });
  });

  it('a failing child: ChildWorkflowFailure with the child’s ApplicationFailure as cause', async () => {
    const { ours } = await pair.compare(parent('parentOfFailingChild'));
    expect(ours).toMatchObject({ name: 'ChildWorkflowFailure', retryState: 'RETRY_POLICY_NOT_SET', cause: { name: 'ApplicationFailure', message: 'child broke', type: 'ChildBoom' } });
  });

  it('a child that times out: ChildWorkflowFailure with a TimeoutFailure', async () => {
    const { ours } = await pair.compare(parent('parentOfTimedOutChild'));
    expect(ours).toMatchObject({ name: 'ChildWorkflowFailure', retryState: 'TIMEOUT', cause: { name: 'TimeoutFailure' } });
  });

  it('a child terminated from outside: ChildWorkflowFailure with a TerminatedFailure', async () => {
    const terminateChild = async (side: Side, workflowId: string): Promise<void> => {
      const childId = `${workflowId}-child`;
      await waitFor(async () => (await statusOf(side, childId).catch(() => 'NONE')) === 'RUNNING', 20_000, 'the child to run');
      await side.client.workflow.getHandle(childId).terminate('stop it');
    };
    const { ours } = await pair.compare(parent('parentOfTerminatedChild', [], terminateChild));
    expect(ours).toMatchObject({ name: 'ChildWorkflowFailure', cause: { name: 'TerminatedFailure' } });
  });

  it('a child whose id is already running fails to start with WorkflowExecutionAlreadyStartedError', async () => {
    const { ours } = await pair.compare(parent('parentStartFails'));
    expect(ours).toMatchObject({ name: 'WorkflowExecutionAlreadyStartedError', workflowType: 'childEcho' });
  });

  it('a parent signals its child through the child handle (child-only signal)', async () => {
    const { ours } = await pair.compare(parent('parentSignalsChild'));
    expect(ours).toBe('ping');
  });

  it('parent-close policies: TERMINATE, REQUEST_CANCEL and ABANDON children, and a cron child', async () => {
    const closedAs = async (side: Side, workflowId: string): Promise<void> => {
      await side.client.workflow.getHandle(workflowId).result();
      const expected: Record<string, WorkflowExecutionStatusName[]> = {
        terminate: ['TERMINATED'],
        'request-cancel': ['CANCELLED'],
        abandon: ['RUNNING', 'COMPLETED'],
        cron: ['TERMINATED'],
      };
      for (const [suffix, statuses] of Object.entries(expected)) {
        await waitFor(async () => statuses.includes(await statusOf(side, `${workflowId}-${suffix}`)), 20_000, `child ${suffix} to be ${statuses.join('/')}`);
      }
    };
    const { ours } = await pair.compare(parent('parentClosePolicies', [], closedAs));
    expect(ours).toEqual(['string', 'string', 'string', 'string']);
  });

  const cancels: Array<[CancelType, 'beforeStart' | 'afterStart']> = [
    ['TRY_CANCEL', 'beforeStart'],
    ['ABANDON', 'afterStart'],
    ['TRY_CANCEL', 'afterStart'],
    ['WAIT_CANCELLATION_COMPLETED', 'afterStart'],
    ['WAIT_CANCELLATION_REQUESTED', 'afterStart'],
  ];
  it.each(cancels)('cancel a child (%s, %s): the same ChildWorkflowFailure and history', async (type, when) => {
    const { ours } = await pair.compare(parent('parentCancelsChild', [type, when]));
    expect(ours).toMatchObject({ name: 'ChildWorkflowFailure', cause: { name: 'CancelledFailure' } });
  });
});
