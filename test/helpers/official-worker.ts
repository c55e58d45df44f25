import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { Runtime, DefaultLogger } from '@temporalio/worker';
import { temporalAddress } from './temporal.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const fixtureWorkflowsPath = path.resolve(here, '../fixtures/workflows/index.ts');

let runtimeInstalled = false;

/** Installs the official Runtime once per test file, with a logger that only shows warnings and errors. */
export function installOfficialRuntime(level: 'WARN' | 'ERROR' = 'WARN'): void {
  if (runtimeInstalled) return;
  Runtime.install({ logger: new DefaultLogger(level) });
  runtimeInstalled = true;
}
const bundles = new Map<string, Promise<{ code: string }>>();

/**
 * The official bundle of `workflowsPath` (with `workflowInterceptorModules` and converter paths,
 * which a prebuilt bundle must hold itself), built once (for workers and runReplayHistory alike).
 */
export function officialBundle(
  workflowsPath = fixtureWorkflowsPath,
  workflowInterceptorModules: string[] = [],
  converters: { payloadConverterPath?: string; failureConverterPath?: string } = {},
): Promise<{ code: string }> {
  const key = JSON.stringify([workflowsPath, workflowInterceptorModules, converters]);
  let bundle = bundles.get(key);
  if (!bundle) bundles.set(key, (bundle = bundleWorkflowCode({ workflowsPath, workflowInterceptorModules, ...converters, logger: new DefaultLogger('WARN') })));
  return bundle;
}

/**
 * Runs the official worker for the *workflow* side only (no activities, so it never polls
 * activity tasks), so our entity's activity side can be tested before our workflow side exists,
 * and as the yardstick in differential tests.
 */
export async function startOfficialWorker(
  taskQueue: string,
  extra: Partial<WorkerOptions> = {},
  workflowsPath = fixtureWorkflowsPath,
): Promise<{ worker: Worker; stop: () => Promise<void> }> {
  installOfficialRuntime();
  const workflowBundle = extra.workflowBundle ?? (await officialBundle(workflowsPath));
  const connection = await NativeConnection.connect({ address: temporalAddress() });
  const worker = await Worker.create({ connection, namespace: 'default', taskQueue, workflowBundle, ...extra });
  const running = worker.run();
  return {
    worker,
    stop: async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await connection.close();
    },
  };
}
