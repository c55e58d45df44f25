/**
 * The migration promise: a worker file written for `@temporalio/worker` runs on the official
 * worker and, with only its import changed, on ours, with the same results and history shapes.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Client } from '@temporalio/client';
import { afterAll, describe, expect, it } from 'vitest';
import { officialClient, temporalAddress, uniqueTaskQueue } from '../../helpers/temporal.js';
import { shapeOf } from '../replay/history-shape.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const officialFile = path.resolve(here, '../../fixtures/migration/worker.ts');
const oursFile = path.resolve(here, '../../fixtures/migration/worker.ours.generated.ts');
const compatIndex = path.resolve(here, '../../../compat/index.js');

type Fixture = typeof import('../../fixtures/migration/worker.js');
type RunWorker = Fixture['runWorker'];

/** The same file with its one `@temporalio/worker` import pointed at this runtime. */
async function oursVariant(): Promise<Fixture> {
  const source = await readFile(officialFile, 'utf8');
  const changed = source.replace("from '@temporalio/worker'", `from '${compatIndex}'`);
  expect(changed).not.toBe(source);
  await writeFile(oursFile, changed);
  return (await import(pathToFileURL(oursFile).href)) as Fixture;
}

async function workload(client: Client, taskQueue: string) {
  const hello = await client.workflow.execute('hello', { taskQueue, workflowId: `${taskQueue}-hello`, args: ['Migration'] });
  const collector = await client.workflow.start('collector', { taskQueue, workflowId: `${taskQueue}-collector` });
  await collector.signal('addItem', 'a');
  await collector.signal('addItem', 'b');
  await collector.signal('finish');
  const collected = await collector.result();
  const failure = await client.workflow
    .execute('failsWithApplicationFailure', { taskQueue, workflowId: `${taskQueue}-fails` })
    .then(() => 'no failure', (err: Error & { cause?: Error }) => err.cause?.message ?? err.message);
  const histories: Record<string, string[]> = {};
  for (const id of ['hello', 'fails']) {
    histories[id] = shapeOf(await client.workflow.getHandle(`${taskQueue}-${id}`).fetchHistory(), 'exact');
  }
  return { hello, collected, failure, histories };
}

describe('a worker file written for @temporalio/worker', () => {
  let close: (() => Promise<void>) | undefined;
  afterAll(async () => {
    await close?.();
    await rm(oursFile, { force: true });
  });

  it('gives the same results and history shapes on ours with only its import changed', async () => {
    const official = await officialClient();
    close = official.close;
    const officialFixture = await import('../../fixtures/migration/worker.js');
    const oursFixture = await oursVariant();
    const runOfficial: RunWorker = officialFixture.runWorker;
    const runOurs: RunWorker = oursFixture.runWorker;

    const tqOfficial = uniqueTaskQueue('migrate-official');
    const onOfficial = await runOfficial(temporalAddress(), tqOfficial, () => workload(official.client, tqOfficial));
    const tqOurs = uniqueTaskQueue('migrate-ours');
    const onOurs = await runOurs(temporalAddress(), tqOurs, () => workload(official.client, tqOurs));

    expect(onOurs.result).toEqual(onOfficial.result);
    expect(onOurs.result.hello).toBe('Hello, Migration!');
    expect(onOurs.states).toEqual(onOfficial.states);
    expect(onOurs.states).toEqual(['INITIALIZED', 'RUNNING', 'STOPPED']);
  });

  it('replays with Worker.runReplayHistory the same way: the original code passes, a changed one is a DeterminismViolationError', async () => {
    const official = await officialClient();
    const taskQueue = uniqueTaskQueue('migrate-replay');
    const officialFixture = await import('../../fixtures/migration/worker.js');
    const oursFixture = await oursVariant();
    const { result: history } = await officialFixture.runWorker(temporalAddress(), taskQueue, async () => {
      await official.client.workflow.execute('hello', { taskQueue, workflowId: taskQueue, args: ['Replay'] });
      return official.client.workflow.getHandle(taskQueue).fetchHistory();
    });
    await official.close();
    const onOfficial = await officialFixture.replayBothWays(history);
    const onOurs = await oursFixture.replayBothWays(history);
    expect(onOfficial).toEqual({ original: 'ok', modified: 'DeterminismViolationError' });
    expect(onOurs).toEqual(onOfficial);
  });
});
