/**
 * One worker in its own process, so the benchmark can compare RSS and CPU per worker:
 *   tsx bench/worker-process.mts <ours|official> <taskQueue> <address>
 * Prints READY once polling, then `RSS <bytes>` every 250 ms. Exits on SIGTERM after draining.
 */
import { NativeConnection, Worker, Runtime, DefaultLogger, bundleWorkflowCode } from '@temporalio/worker';
import { Connection } from '../core/connection/connection.js';
import { WorkerEntity } from '../core/worker/worker-entity.js';
import { fixtureWorkflowsPath } from '../test/helpers/official-worker.js';

const [kind, taskQueue, address] = process.argv.slice(2) as [string, string, string];
const activities = { greet: async (name: string) => `Hello, ${name}!` };
let stop: () => Promise<void>;

if (kind === 'official') {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const connection = await NativeConnection.connect({ address });
  const workflowBundle = await bundleWorkflowCode({ workflowsPath: fixtureWorkflowsPath, logger: new DefaultLogger('ERROR') });
  const worker = await Worker.create({ connection, taskQueue, workflowBundle, activities, maxCachedWorkflows: 2000 });
  const running = worker.run();
  stop = async () => {
    worker.shutdown();
    await running;
    await connection.close();
  };
} else {
  const connection = await Connection.connect({ address });
  const entity = new WorkerEntity({ taskQueue, workflowsPath: fixtureWorkflowsPath, activities, maxCachedWorkflows: 2000 }, { connection });
  await entity.start();
  stop = async () => {
    await entity.close();
    await connection.close();
  };
}
console.log('READY');
const timer = setInterval(() => console.log(`RSS ${process.memoryUsage().rss}`), 250);
process.on('SIGTERM', () => {
  clearInterval(timer);
  void stop().then(() => process.exit(0));
});
