/**
 * Updates to runs that left the worker's cache: with room for two runs, a third evicts the oldest,
 * whose next task (an update, sent to the sticky queue with only the new events) must be replayed
 * from the full history — plus the speculative task's own events, which no stored history holds.
 * Ours and the official worker run the same sequence with the same cache size.
 */
import { WorkflowUpdateStage, type Client, type WorkflowHandle } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { add, addLater, finish, totalQuery, updatable } from '../../fixtures/workflows/updates/update-workflows.js';
import { useUpdatePair } from './harness.js';

const pair = useUpdatePair({ ours: { maxCachedWorkflows: 2 }, official: { maxCachedWorkflows: 2, maxConcurrentWorkflowTaskExecutions: 2 } });

async function start(client: Client, taskQueue: string, name: string): Promise<WorkflowHandle<typeof updatable>> {
  const handle = await client.workflow.start(updatable, { taskQueue, workflowId: `${taskQueue}-${name}`, args: [{}] });
  await handle.query(totalQuery);
  return handle;
}

describe('Workflow Updates on runs evicted from the cache (real server)', () => {
  it('an update, then a rejected one, each on a run that was evicted', async () => {
    const { result } = await pair.compare(async (client, tq) => {
      const a = await start(client, tq, 'a');
      const b = await start(client, tq, 'b');
      const c = await start(client, tq, 'c'); // evicts a
      const first = await a.executeUpdate(add, { args: [1], updateId: 'a-1' }); // replays a, evicts b
      const rejected = await b.executeUpdate(add, { args: [-1], updateId: 'b-neg' }).then(
        () => 'accepted',
        (e: unknown) => ((e as { cause?: Error }).cause ?? (e as Error)).message,
      );
      const second = await b.executeUpdate(add, { args: [2], updateId: 'b-2' });
      const third = await c.executeUpdate(add, { args: [3], updateId: 'c-3' });
      const finals = [];
      for (const h of [a, b, c]) finals.push(await h.executeUpdate(finish));
      const runs = await Promise.all([a, b, c].map((h) => h.result()));
      return { result: { first, rejected, second, third, finals, runs }, handles: [a, b, c] };
    }, 'exact');
    expect(result).toMatchObject({ first: 1, rejected: 'cannot add -1: negative', second: 2, third: 3, finals: [1, 2, 3] });
    expect(pair.ours.status().workflow?.cachedRuns ?? 0).toBeLessThanOrEqual(2);
  });

  it('an update accepted before the run was evicted completes after its replay', async () => {
    const { result } = await pair.compare(async (client, tq) => {
      const a = await start(client, tq, 'late-a');
      const pending = await a.startUpdate(addLater, { args: [2, 3000], updateId: 'late', waitForStage: WorkflowUpdateStage.ACCEPTED });
      const others = [await start(client, tq, 'late-b'), await start(client, tq, 'late-c')]; // evict a
      // The timer fires on a run that is no longer cached: replayed (accept matched), then completed live.
      const value = await pending.result();
      const finals = [];
      for (const h of [a, ...others]) finals.push(await h.executeUpdate(finish));
      return { result: { value, finals, run: await a.result() }, handles: [a, ...others] };
    }, 'exact');
    expect(result).toMatchObject({ value: 2, finals: [2, 0, 0], run: { total: 2, log: ['addLater 2'] } });
  });
});
