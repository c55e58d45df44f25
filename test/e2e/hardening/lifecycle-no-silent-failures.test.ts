/**
 * Nothing fails silently: every failed workflow task leaves one WARN line with its code, workflow
 * type, run id and first line, becomes the entity's lastError and counts in
 * temporal_workflow_task_execution_failed{failure_reason}; an oversized result fails its task
 * with cause GRPC_MESSAGE_TOO_LARGE instead of looping; a worker refused at start is FAILED and
 * makes the runtime not ready.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasErrorCode } from '../../../core/errors.js';
import { loggerFrom, type LogLevel, type LogMetadata } from '../../../core/logger.js';
import type { Runtime } from '../../../core/runtime/runtime.js';
import { fixtureWorkflowsPath } from '../../helpers/official-worker.js';
import { testRuntime } from '../../helpers/runtime.js';
import { uniqueTaskQueue, useServer, waitFor } from '../../helpers/temporal.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const failingWorkflows = path.join(here, 'fixtures/failing-workflows.ts');
const server = useServer();
const { EventType } = temporal.api.enums.v1;

const lines: Array<{ level: LogLevel; message: string; meta?: LogMetadata }> = [];
const logger = loggerFrom((level, message, meta) => void lines.push({ level, message, meta }));
let runtime: Runtime;

beforeAll(async () => {
  runtime = await testRuntime({ plugins: [{ module: 'builtin:prometheus' }], sandbox: { deadlockTimeoutMs: 1_000, maxOldGenerationSizeMb: 64 } }, { logger });
});
afterAll(async () => {
  await runtime?.shutdown({ graceMs: 0 });
});

async function workflowTaskFailures(workflowId: string): Promise<temporal.api.history.v1.IWorkflowTaskFailedEventAttributes[]> {
  const { events } = await server.client.workflow.getHandle(workflowId).fetchHistory();
  return (events ?? []).filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED).map((e) => e.workflowTaskFailedEventAttributes!);
}

async function failedCounter(taskQueue: string, workflowType: string, reason: string): Promise<number> {
  const { body } = (await runtime.scrapeMetrics())!;
  const line = body.split('\n').find((l) => l.startsWith('temporal_workflow_task_execution_failed{') && l.includes(`task_queue="${taskQueue}"`) && l.includes(`workflow_type="${workflowType}"`) && l.includes(`failure_reason="${reason}"`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('every workflow-task failure is logged, kept and counted', () => {
  it.each([
    ['unhandledRejection', failingWorkflows, 'nobody catches this rejection'],
    ['spins', failingWorkflows, 'WORKFLOW_DEADLOCK'],
    // Out of memory: the thread dies (or is caught spinning first); either way a named failure.
    ['eatsMemory', fixtureWorkflowsPath, /WORKFLOW_THREAD_CRASHED|WORKFLOW_DEADLOCK/],
    ['neverRuns', path.join(here, 'fixtures/throws-at-import.ts'), 'this workflow module throws at import'],
  ] as Array<[string, string, string | RegExp]>)('%s: a WARN line with code, type, run and first line; lastError; failure_reason=WorkflowError', async (workflowType, workflowsPath, expected) => {
    const taskQueue = uniqueTaskQueue(`silent-${workflowType}`);
    const w = await runtime.addWorker({ taskQueue, workflowsPath });
    const handle = await server.client.workflow.start(workflowType, { taskQueue, workflowId: `${taskQueue}-wf` });
    try {
      const runId = handle.firstExecutionRunId;
      const mine = () => lines.filter((l) => l.level === 'WARN' && l.meta?.runId === runId);
      await waitFor(() => mine().length > 0, 20_000, 'a WARN line for the failed task');
      const line = mine()[0]!;
      expect(line.meta).toMatchObject({ workflowType, runId, workflowId: handle.workflowId, taskQueue });
      expect(typeof line.meta!.code).toBe('string');
      expect(`${line.meta!.code as string} ${line.message}`).toMatch(expected);
      expect(line.message).not.toContain('\n');
      const { lastError } = runtime.get(w.id);
      expect(lastError).toMatchObject({ code: line.meta!.code, workflowType, runId });
      expect(await failedCounter(taskQueue, workflowType, 'WorkflowError')).toBeGreaterThanOrEqual(1);
      expect((await workflowTaskFailures(handle.workflowId)).length).toBeGreaterThanOrEqual(1);
    } finally {
      await handle.terminate();
      await runtime.remove(w.id, { force: true });
    }
  });

  // Before: the refused answer was retried 10 times (~20 s), then dropped without a word, and the
  // task timed out and came back, forever. Now the first refusal fails the task, naming why.
  it('a 5 MB result fails its task at once with cause GRPC_MESSAGE_TOO_LARGE (the server then closes the run), logged and counted', async () => {
    const taskQueue = uniqueTaskQueue('silent-too-large');
    const w = await runtime.addWorker({ taskQueue, workflowsPath: failingWorkflows });
    const handle = await server.client.workflow.start('bigResult', { taskQueue, workflowId: `${taskQueue}-wf`, args: [5 * 1024 * 1024] });
    try {
      // Server 1.32 answers a task failed with GRPC_MESSAGE_TOO_LARGE by force-closing the run:
      // WorkflowTaskFailed (FORCE_CLOSE_COMMAND), then WorkflowExecutionTerminated naming the cause.
      await waitFor(async () => (await handle.describe()).status.name === 'TERMINATED', 15_000, 'the server to close the run');
      const { events } = await handle.fetchHistory();
      expect((await workflowTaskFailures(handle.workflowId)).length).toBe(1);
      const terminated = events!.find((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED)!.workflowExecutionTerminatedEventAttributes!;
      console.log(`[lifecycle] 5 MB result: terminated by the server, reason "${terminated.reason}"`);
      expect(terminated.reason).toMatch(/GRPC_?MESSAGE_?TOO_?LARGE|too large/i);
      // The server may close the run before our answer's call returns and the line is written.
      const ours = () => lines.find((l) => l.level === 'WARN' && l.meta?.runId === handle.firstExecutionRunId);
      await waitFor(() => ours() !== undefined, 10_000, 'the WARN line');
      const line = ours();
      expect(line?.meta).toMatchObject({ code: 'GRPC_MESSAGE_TOO_LARGE', workflowType: 'bigResult' });
      expect(line?.message).toMatch(/message larger than max|too large/i);
      expect(runtime.get(w.id).lastError).toMatchObject({ code: 'GRPC_MESSAGE_TOO_LARGE', workflowType: 'bigResult' });
      expect(await failedCounter(taskQueue, 'bigResult', 'GrpcMessageTooLarge')).toBeGreaterThanOrEqual(1);
    } finally {
      await handle.terminate().catch(() => undefined);
      await runtime.remove(w.id, { force: true });
    }
  });
});

describe('a worker refused at start', () => {
  it('is listed FAILED with lastError, logs an ERROR line, and the runtime is not ready until it is replaced', async () => {
    const good = await runtime.addWorker({ taskQueue: uniqueTaskQueue('silent-good'), workflowsPath: fixtureWorkflowsPath });
    expect((await runtime.readiness()).ready).toBe(true);
    const id = `refused-${Date.now()}`;
    const taskQueue = uniqueTaskQueue('silent-refused');
    await expect(runtime.addWorker({ id, taskQueue, workflowsPath: path.join(here, 'fixtures/forbidden-import.ts') })).rejects.toSatisfy((e) => hasErrorCode(e, 'WORKFLOW_BUNDLE_FORBIDDEN_IMPORT'));
    const info = runtime.get(id);
    expect(info.state).toBe('FAILED');
    expect(info.lastError).toMatchObject({ code: 'WORKFLOW_BUNDLE_FORBIDDEN_IMPORT' });
    expect(info.lastError!.message).toMatch(/node:fs|fs/);
    expect(lines.some((l) => l.level === 'ERROR' && l.meta?.taskQueue === taskQueue && l.meta?.code === 'WORKFLOW_BUNDLE_FORBIDDEN_IMPORT')).toBe(true);
    const readiness = await runtime.readiness();
    expect(readiness).toMatchObject({ ready: false, workers: { failed: 1 } });
    // Fixed and added again under the same id: ready again.
    await expect(runtime.addWorker({ id, taskQueue, workflowsPath: fixtureWorkflowsPath })).resolves.toMatchObject({ state: 'RUNNING' });
    expect((await runtime.readiness()).ready).toBe(true);
    await runtime.remove(id, { force: true });
    await runtime.remove(good.id, { force: true });
  });
});
