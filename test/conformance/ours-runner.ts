/**
 * The harness's own Runner with our WorkerEntity in place of `Worker.create`.
 *
 * The client side is built exactly as `Runner.create` builds it (a `@temporalio/client`
 * Connection and Client with the feature's data converter); the Runner object is the harness's
 * class, so `run()`, `execute`, `checkResult`, `checkHistory`, `alternateRun`, `close()` and the
 * helpers features call are the harness's code. Only the worker differs, and `restartWorker()`,
 * which in the harness calls `Worker.create` again, starts a new entity instead.
 */
import path from 'node:path';
import { createRequire } from 'node:module';
import { Context } from '@temporalio/activity';
import { Client, Connection as ClientConnection } from '@temporalio/client';
import { loadDataConverter } from '@temporalio/common/lib/internal-non-workflow/index.js';
import { disallowedModules } from '@temporalio/worker/lib/workflow/bundler.js';
import { Connection } from '../../core/connection/connection.js';
import { WorkerEntity, type WorkerEntityDeps } from '../../core/worker/worker-entity.js';
import { workerEntityInputSchema, type WorkerEntityInput } from '../../core/worker/worker-entity-options.js';
import { ConsoleLogger } from '../../core/logger.js';
import { EntityWorker } from './entity-worker.js';
import type { ActivityFn, HarnessActivityInterceptorsModule, HarnessFeatureSource, HarnessModule, HarnessRunner, HarnessRunnerOptions } from './harness-types.js';
import { harnessIgnoreModules, mapWorkerOptions, type ActivityInboundFactory } from './worker-options.js';

const require = createRequire(import.meta.url);

/** The activity hook of our entity, running the official inbound interceptors around each call. */
function invokeThrough(factories: readonly ActivityInboundFactory[]): WorkerEntityDeps['activityInvoke'] {
  if (factories.length === 0) return undefined;
  return (_info, fn, args, headers) => {
    type Input = { args: unknown[]; headers: Record<string, unknown> };
    let next = (input: Input): Promise<unknown> => Promise.resolve(fn(...input.args));
    for (const factory of [...factories].reverse()) {
      const interceptor = factory(Context.current());
      if (!interceptor.execute) continue;
      const inner = next;
      const execute = interceptor.execute.bind(interceptor);
      next = (input) => execute(input, inner);
    }
    return next({ args, headers: { ...headers } });
  };
}

export async function createOursRunner(
  harness: HarnessModule,
  activityInterceptorsPath: string,
  source: HarnessFeatureSource,
  options: HarnessRunnerOptions,
  /** Filled as the run goes: official option paths our entity is not given (before it starts, which may fail), and notes. */
  report: { notPassed: string[]; notes: string[] },
): Promise<HarnessRunner> {
  const feature = await source.loadFeature();
  const connectionOpts = { address: options.address };
  const clientConnection = await ClientConnection.connect(connectionOpts);
  const client = new Client({ connection: clientConnection, namespace: options.namespace, dataConverter: feature.options.dataConverter });
  const connection = await Connection.connect({ address: options.address, namespace: options.namespace });

  const { ConnectionInjectorInterceptor } = require(activityInterceptorsPath) as HarnessActivityInterceptorsModule;
  const workflowsPath = feature.options.workflowsPath ?? require.resolve(path.join(source.absDir, 'feature.js'));
  // What the harness gives the official Worker, with our counterparts where the official one
  // relies on webpack: `ignoreModules` for its externals and disallowed-module aliases. The
  // harness's workflow interceptor module is left out: it reaches out of the official worker's vm
  // for the host's `process.mainModule`, which a sandbox thread of ours does not have (ours gets
  // the harness's `Feature` from the stand-in package instead, see suite-build.ts).
  const workerOpts: Record<string, unknown> = {
    namespace: options.namespace,
    workflowsPath,
    activities: feature.activities,
    taskQueue: options.taskQueue,
    dataConverter: feature.options.dataConverter,
    bundlerOptions: { ignoreModules: harnessIgnoreModules(disallowedModules) },
    interceptors: { activityInbound: [() => new ConnectionInjectorInterceptor(clientConnection, client)] },
    ...feature.options.workerOptions,
  };
  const supported = new Set(Object.keys(workerEntityInputSchema.shape));
  const mapped = mapWorkerOptions(workerOpts, supported);
  report.notPassed.push(...mapped.notPassed);
  const deps: WorkerEntityDeps = {
    connection,
    logger: new ConsoleLogger('WARN'),
    // Activities get the feature's converter through our entity's deps; workflows only if the entity takes `dataConverter` (mapped above).
    dataConverter: loadDataConverter(feature.options.dataConverter),
    activityInvoke: invokeThrough(mapped.activityInbound),
  };
  const startEntity = async (): Promise<EntityWorker> => {
    const input = { ...mapped.input, taskQueue: options.taskQueue, workflowsPath, activities: feature.activities as Record<string, ActivityFn> } as WorkerEntityInput;
    const entity = new WorkerEntity(input, deps);
    await entity.start();
    return new EntityWorker(entity, (ms) => report.notes.push(`our worker's shutdown took ${ms} ms`));
  };

  const first = await startEntity();
  // The harness's class, subclassed only to restart our entity instead of `Worker.create`.
  class Runner extends harness.Runner {
    override async restartWorker(): Promise<void> {
      const next = await startEntity();
      Object.assign(this, { _worker: next, _workerRunPromise: next.runPromise });
    }
  }
  const nativeConnection = { close: () => connection.close() };
  return new Runner(source, feature, options, client, connectionOpts, nativeConnection, { address: options.address }, first, workerOpts, first.runPromise);
}
