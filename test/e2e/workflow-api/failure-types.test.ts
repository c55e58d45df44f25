/**
 * The official `workflowFailureErrorTypes`, ours (through the drop-in facade) against the official
 * worker on the real server, with the same options: listed error classes (subclasses too) fail the
 * workflow execution; `NondeterminismError` makes nondeterminism fail the execution instead of
 * the task; anything else still fails only the workflow task. Results and history shapes must match.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { NativeConnection as OfficialConnection, Worker as OfficialWorker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NativeConnection, Worker } from '../../../compat/index.js';
import { shapeOf } from '../replay/history-shape.js';
import { installOfficialRuntime } from '../../helpers/official-worker.js';
import { officialClient, temporalAddress, uniqueTaskQueue, waitFor } from '../../helpers/temporal.js';

const workflowsPath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/workflows/workflow-api/failure-types.ts');
const options = {
  workflowsPath,
  // Off, so every task replays the ones before and the nondeterministic fixture diverges.
  maxCachedWorkflows: 0,
  workflowFailureErrorTypes: { '*': ['InsufficientFunds'], nondeterministic: ['NondeterminismError'] },
};

let client: Client;
let closeClient: () => Promise<void>;
beforeAll(async () => {
  installOfficialRuntime('ERROR');
  ({ client, close: closeClient } = await officialClient());
});
afterAll(() => closeClient?.());

type Scenario = (taskQueue: string) => Promise<{ handle: WorkflowHandle; outcome: unknown }>;

const describeError = (e: unknown) => {
  const err = e as { name?: string; cause?: { name?: string; type?: string; message?: string } };
  return { name: err.name, cause: { name: err.cause?.name, type: err.cause?.type, message: err.cause?.message } };
};

async function onBoth(scenario: Scenario) {
  const out: Record<string, { outcome: unknown; shape: string[] }> = {};
  for (const side of ['official', 'ours'] as const) {
    const taskQueue = uniqueTaskQueue(`failure-types-${side}`);
    const Impl = side === 'official' ? { W: OfficialWorker, C: OfficialConnection } : { W: Worker, C: NativeConnection };
    const connection = await Impl.C.connect({ address: temporalAddress() });
    // `as never`: the same official options object for both workers.
    const worker = await Impl.W.create({ connection, taskQueue, ...options } as never);
    try {
      const { handle, outcome } = await worker.runUntil(() => scenario(taskQueue));
      out[side] = { outcome, shape: shapeOf(await handle.fetchHistory(), 'exact') };
    } finally {
      await connection.close();
    }
  }
  return out as Record<'official' | 'ours', { outcome: unknown; shape: string[] }>;
}

const fails = (type: string): Scenario => async (taskQueue) => {
  const handle = await client.workflow.start(type, { taskQueue, workflowId: `${taskQueue}-${type}` });
  return { handle, outcome: await handle.result().then(() => 'completed', describeError) };
};

describe('workflowFailureErrorTypes (real server)', () => {
  it('a listed class (here a subclass of one) fails the workflow execution', async () => {
    const { official, ours } = await onBoth(fails('throwsListed'));
    expect(official.outcome).toEqual({ name: 'WorkflowFailedError', cause: { name: 'ApplicationFailure', type: 'CardDeclined', message: 'card declined' } });
    expect(ours).toEqual(official);
  });

  it("'NondeterminismError' for the type: nondeterminism fails the execution, not the task", async () => {
    const { official, ours } = await onBoth(fails('nondeterministic'));
    expect(official.outcome).toMatchObject({ name: 'WorkflowFailedError', cause: { name: 'ApplicationFailure' } });
    expect((ours.outcome as { cause: { message: string } }).cause.message).toMatch(/nondetermin/i);
    expect(ours.shape).toEqual(official.shape);
    expect(ours.shape.at(-1)).toBe('WORKFLOW_EXECUTION_FAILED');
    expect(ours.shape).not.toContain('WORKFLOW_TASK_FAILED');
  });

  it('an unlisted error still fails only the workflow task, and the run stays open', async () => {
    const scenario: Scenario = async (taskQueue) => {
      const handle = await client.workflow.start('throwsUnlisted', { taskQueue, workflowId: `${taskQueue}-unlisted` });
      await waitFor(async () => (await handle.fetchHistory()).events!.some((e) => e.workflowTaskFailedEventAttributes), 15_000, 'a WorkflowTaskFailed event');
      const { status } = await handle.describe();
      await handle.terminate('test done');
      return { handle, outcome: status.name };
    };
    const { official, ours } = await onBoth(scenario);
    expect(official.outcome).toBe('RUNNING');
    expect(ours.outcome).toBe('RUNNING');
    expect(ours.shape.slice(0, 4)).toEqual(official.shape.slice(0, 4));
  });
});
