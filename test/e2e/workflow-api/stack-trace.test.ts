import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { EnhancedStackTrace } from '@temporalio/workflow';
import { describe, expect, it } from 'vitest';
import { WorkerEntity } from '../../../core/worker/worker-entity.js';
import { startOfficialWorker } from '../../helpers/official-worker.js';
import { sandboxApiWorkflowsPath, useSandbox } from '../../helpers/sandbox.js';
import { uniqueTaskQueue, useServer, waitFor } from '../../helpers/temporal.js';

const workflowsPath = sandboxApiWorkflowsPath;
const server = useServer();
const shared = useSandbox();

interface Traces {
  plain: string;
  enhanced: EnhancedStackTrace;
}

/** Starts `blockedInThree`, waits until it is blocked in all three, and asks both queries. */
async function tracesOf(client: Client, taskQueue: string): Promise<Traces> {
  const handle = await client.workflow.start('blockedInThree', { taskQueue, workflowId: taskQueue });
  try {
    await waitFor(async () => (await handle.fetchHistory()).events?.some((e) => e.timerStartedEventAttributes) ?? false, 20_000, 'the timer to start');
    return { plain: await handle.query<string>('__stack_trace'), enhanced: await handle.query<EnhancedStackTrace>('__enhanced_stack_trace') };
  } finally {
    await handle.terminate();
  }
}

/** Where each stack starts: `file:line function`, the part that must point at the same user code. */
const tops = (t: EnhancedStackTrace) =>
  t.stacks.map((s) => s.locations[0]).map((l) => `${path.basename(l?.file_path ?? '?')}:${l?.line}`).sort();

describe('__stack_trace and __enhanced_stack_trace', () => {
  it('name the user file, lines and functions of a workflow blocked in a timer, a condition and an activity, as the official worker does', async () => {
    const taskQueue = uniqueTaskQueue('stack');
    const entity = new WorkerEntity({ taskQueue, workflowsPath, showStackTraceSources: true }, { connection: server.connection, sandbox: shared.sandbox });
    await entity.start();
    let ours: Traces;
    try {
      ours = await tracesOf(server.client, taskQueue);
    } finally {
      await entity.close();
    }
    const officialQueue = uniqueTaskQueue('stack-official');
    const official = await startOfficialWorker(officialQueue, { showStackTraceSources: true }, workflowsPath);
    let theirs: Traces;
    try {
      theirs = await tracesOf(server.client, officialQueue);
    } finally {
      await official.stop();
    }

    for (const fn of ['waitInTimer', 'waitInCondition', 'waitInActivity']) expect(ours.plain).toMatch(new RegExp(`at ${fn} \\(${workflowsPath}:\\d+:\\d+\\)`));
    expect(ours.plain).not.toMatch(/workflow-bundle-|tempo-sandbox|node:vm/);
    expect(ours.enhanced.sdk).toEqual(theirs.enhanced.sdk);
    expect(ours.enhanced.stacks.length).toBe(theirs.enhanced.stacks.length);
    expect(tops(ours.enhanced)).toEqual(tops(theirs.enhanced));
    expect(ours.enhanced.stacks.flatMap((s) => s.locations).every((l) => l.file_path === workflowsPath && l.internal_code === false)).toBe(true);
    expect(Object.keys(ours.enhanced.sources)).toEqual(Object.keys(theirs.enhanced.sources));
    expect(ours.enhanced.sources[workflowsPath]).toEqual([{ line_offset: 0, content: readFileSync(workflowsPath, 'utf8') }]);
  });
});
