/**
 * Search attribute and memo upserts on our runtime against the official worker (real server):
 * what `workflowInfo()` says, what the client's `describe()` sees, what a continue-as-new carries.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkflowHandle } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { workerPair, type Scenario } from './worker-pair.js';

const workflowsPath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/workflows/workflow-api/search-attributes.ts');
const pair = workerPair({ workflowsPath });

/** The custom search attributes and the memo the server holds for the run, as plain data. */
async function described(handle: WorkflowHandle): Promise<Record<string, unknown>> {
  const d = await handle.describe();
  const typed = d.typedSearchAttributes
    .getAll()
    .filter((p) => p.key.name.startsWith('Custom'))
    .map((p) => [p.key.name, p.value instanceof Date ? p.value.toISOString() : p.value]);
  return { typed: typed.sort(), memo: d.memo };
}

describe('search attributes and memo, ours vs the official worker (real server)', () => {
  it('typed and legacy upserts, removals and memo upserts: workflowInfo() and describe() agree with the official worker', async () => {
    const scenario: Scenario = async (side) => {
      const handle = await side.client.workflow.start('upsertsEverything', { taskQueue: side.taskQueue, workflowId: side.id('everything'), memo: { initial: 'memo' } });
      const info = await handle.result();
      return { handles: [handle], result: { info, server: await described(handle) } };
    };
    const { ours } = await pair.compare(scenario);
    expect(ours).toMatchObject({
      info: { memo: { initial: 'memo', note: 'memo', nested: { a: 1 } } },
      server: {
        memo: { initial: 'memo', note: 'memo', nested: { a: 1 } },
        typed: [
          ['CustomBoolField', true],
          ['CustomDatetimeField', '2026-01-02T03:04:05.000Z'],
          ['CustomDoubleField', 1.5],
          ['CustomKeywordField', 'typed'],
          ['CustomKeywordListField', ['a', 'b']],
        ],
      },
    });
  });

  it('a continue-as-new carries the upserted search attributes into the next run', async () => {
    const scenario: Scenario = async (side) => {
      const first = await side.client.workflow.start('upsertThenContinueAsNew', { taskQueue: side.taskQueue, workflowId: side.id('can'), args: [0] });
      const info = await first.result();
      const runs = [side.client.workflow.getHandle(first.workflowId, first.firstExecutionRunId), side.client.workflow.getHandle(first.workflowId)];
      return { handles: runs, result: info };
    };
    const { ours } = await pair.compare(scenario);
    expect(ours).toMatchObject({ typed: [['CustomKeywordField', 'KEYWORD', 'carried over']] });
  });
});
