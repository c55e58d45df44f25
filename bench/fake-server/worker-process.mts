/**
 * One worker in its own process against the fake server, as a user would run it:
 *   tsx bench/fake-server/worker-process.mts <ours|ours-http2|official> <activities|workflows> <address> <taskQueue> '<options JSON>'
 * Ours through the package's public entry (Connection + WorkerEntity; `ours-http2` with the
 * connection option `transport: 'http2'`), the official one through
 * `@temporalio/worker`; the options JSON holds the official `WorkerOptions` concurrency fields,
 * passed unchanged to either. Prints READY once polling; drains and exits on SIGTERM.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection, WorkerEntity } from '../../index.js';
import { runOfficial } from '../run-official.js';

const [kind, mode, address, taskQueue, optionsJson] = process.argv.slice(2) as [string, string, string, string, string];
const concurrency = JSON.parse(optionsJson) as Record<string, number>;
const workflowsPath = path.join(path.dirname(fileURLToPath(import.meta.url)), 'workflows.ts');
// The no-op activity: returns its argument (the fake checks it got the right one back).
const activities = { echo: async (value: unknown) => value };
const side = mode === 'activities' ? { activities } : { workflowsPath };
let stop: () => Promise<void>;

if (kind === 'official') {
  const { NativeConnection, Worker, Runtime, DefaultLogger, bundleWorkflowCode } = await import('@temporalio/worker');
  // SIGTERM is ours to handle (below), as for our worker.
  Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });
  const connection = await NativeConnection.connect({ address });
  const workflows = mode === 'workflows' ? { workflowBundle: await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') }) } : {};
  const worker = await Worker.create({ connection, taskQueue, ...(mode === 'activities' ? { activities } : workflows), ...concurrency });
  stop = runOfficial(worker, connection);
} else {
  // Both transports measured by name: 'ours' is grpc-js, 'ours-http2' the default since 2026-12-01.
  const connection = await Connection.connect({ address, transport: kind === 'ours-http2' ? 'http2' : 'grpc-js' });
  const entity = new WorkerEntity({ taskQueue, ...side, ...concurrency }, { connection });
  await entity.start();
  stop = async () => {
    await entity.close();
    await connection.close();
  };
}
console.log('READY');
process.on('SIGTERM', () => void stop().then(() => process.exit(0), (err: unknown) => {
  console.error(err);
  process.exit(1);
}));
