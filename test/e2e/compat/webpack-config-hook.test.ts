/**
 * `bundlerOptions.webpackConfigHook` through the drop-in facade, beside the official worker with
 * the very same options: a workflow imports a module the hook maps to a global, which a workflow
 * interceptor module puts there (as the feature suite's harness does), and imports a disallowed
 * module the hook's replaced `externals` let through.
 */
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { DefaultLogger, NativeConnection as OfficialConnection, Runtime, Worker as OfficialWorker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NativeConnection, Worker } from '../../../compat/index.js';
import type { WebpackConfigHook } from '../../../sandbox/webpack-config-hook.js';
import { officialClient, temporalAddress, uniqueTaskQueue, waitFor } from '../../helpers/temporal.js';
import { shapeOf } from '../replay/history-shape.js';

const fixtures = path.resolve('test/fixtures/workflows/webpack-hook');
const workflowsPath = path.join(fixtures, 'workflows.ts');
const globalsModule = path.join(fixtures, 'greeting-global.ts');
/** Shaped like the suite's harness hook: the externals replaced by an object. */
const hook: WebpackConfigHook = (config) => ({ ...config, externals: { 'tempo-greeting': 'tempoGreeting' } });

let client: Client;
let closeClient: () => Promise<void>;
beforeAll(async () => {
  ({ client, close: closeClient } = await officialClient());
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // installed by an earlier file in this process
  }
});
afterAll(() => closeClient?.());

type Side = 'ours' | 'official';

/** Runs `fn` while a worker of `side` (created with the same options object on both) polls `taskQueue`. */
async function onWorker<T>(side: Side, workflowModules: string[], fn: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = uniqueTaskQueue(`webpack-hook-${side}`);
  const options = { taskQueue, workflowsPath, bundlerOptions: { webpackConfigHook: hook }, interceptors: { workflowModules } };
  if (side === 'official') {
    const connection = await OfficialConnection.connect({ address: temporalAddress() });
    try {
      // The official option types the hook with webpack's Configuration; ours is the same function.
      const worker = await OfficialWorker.create({ ...options, connection, bundlerOptions: { webpackConfigHook: hook as never } });
      return await worker.runUntil(() => fn(taskQueue));
    } finally {
      await connection.close();
    }
  }
  const connection = await NativeConnection.connect({ address: temporalAddress() });
  try {
    const worker = await Worker.create({ ...options, connection });
    return await worker.runUntil(() => fn(taskQueue));
  } finally {
    await connection.close();
  }
}

/** The first failed workflow task's message, then the run terminated. */
async function firstTaskFailure(taskQueue: string): Promise<string> {
  const handle = await client.workflow.start('greetFromGlobal', { taskQueue, workflowId: taskQueue, args: ['Ada'] });
  let failed: temporal.api.history.v1.IHistoryEvent | undefined;
  await waitFor(async () => {
    failed = (await handle.fetchHistory()).events?.find((e) => e.workflowTaskFailedEventAttributes);
    return failed !== undefined;
  }, 30_000, 'a failed workflow task');
  await handle.terminate('test done');
  return failed?.workflowTaskFailedEventAttributes?.failure?.message ?? '';
}

describe('webpackConfigHook on ours and on the official worker', () => {
  it('a module mapped to a global set by a workflow interceptor module: same result and history shape', async () => {
    const run = (side: Side) =>
      onWorker(side, [globalsModule], async (taskQueue) => {
        const result = await client.workflow.execute('greetFromGlobal', { taskQueue, workflowId: taskQueue, args: ['Ada'] });
        const history = await client.workflow.getHandle(taskQueue).fetchHistory();
        return { result, shape: shapeOf(history, 'exact'), history };
      });
    const official = await run('official');
    const ours = await run('ours');
    expect(official.result).toBe('Hello, Ada, from a global');
    expect({ result: ours.result, shape: ours.shape }).toEqual({ result: official.result, shape: official.shape });
    // Each side replays the other's history with the same bundler options.
    const replayOptions = { workflowsPath, bundlerOptions: { webpackConfigHook: hook }, interceptors: { workflowModules: [globalsModule] } };
    await Worker.runReplayHistory(replayOptions, official.history);
    await OfficialWorker.runReplayHistory({ ...replayOptions, bundlerOptions: { webpackConfigHook: hook as never } }, ours.history);
  });

  it('without the module that sets the global, both fail the workflow task naming the missing global', async () => {
    const official = await onWorker('official', [], firstTaskFailure);
    const ours = await onWorker('ours', [], firstTaskFailure);
    expect(official).toContain('tempoGreeting is not defined');
    expect(ours).toContain('tempoGreeting is not defined');
  });

  it('ours refuses a hook change esbuild cannot honour, naming it, when run() bundles', async () => {
    const connection = await NativeConnection.connect({ address: temporalAddress() });
    try {
      const withPlugin: WebpackConfigHook = (config) => ({ ...config, plugins: [{ apply() {} }] });
      const worker = await Worker.create({ connection, taskQueue: uniqueTaskQueue('webpack-hook-refused'), workflowsPath, bundlerOptions: { webpackConfigHook: withPlugin } });
      await expect(worker.run()).rejects.toMatchObject({ code: 'WORKFLOW_BUNDLE_HOOK_UNSUPPORTED', message: expect.stringContaining('changed plugins') });
    } finally {
      await connection.close();
    }
  });
});
