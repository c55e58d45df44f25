/**
 * The activity worker of `bench:activities`, alone in its own process so its CPU is its own:
 *   tsx bench/activity-worker-process.mts <ours|ours-http2|official> <taskQueue> <address> <activities>
 * Registers a no-op `noop` activity and prints `FIRST <cpu µs> <epoch ms>` when the first one
 * runs and `DONE <cpu µs> <epoch ms>` when the last one has (CPU is this process's user + system
 * time, all threads). Drains and exits on SIGTERM.
 */
import { Connection } from '../core/connection/connection.js';
import { WorkerEntity } from '../core/worker/worker-entity.js';
import { runOfficial } from './run-official.js';

const [kind, taskQueue, address, totalArg] = process.argv.slice(2) as [string, string, string, string];
const total = Number(totalArg);
let done = 0;
const mark = (what: string) => {
  const cpu = process.cpuUsage();
  console.log(`${what} ${cpu.user + cpu.system} ${performance.timeOrigin + performance.now()}`);
};
const noop = async () => {
  if (done === 0) mark('FIRST');
  // The answer of the last one is still to go: report once it has had a moment to leave.
  if (++done === total) setImmediate(() => mark('DONE'));
};
let stop: () => Promise<void>;
if (kind === 'official') {
  const { NativeConnection, Worker, Runtime, DefaultLogger } = await import('@temporalio/worker');
  Runtime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: [] });
  const connection = await NativeConnection.connect({ address });
  const worker = await Worker.create({ connection, taskQueue, activities: { noop } });
  stop = runOfficial(worker, connection);
} else {
  // Both transports measured by name: 'ours' is grpc-js, 'ours-http2' the default since 2026-12-01.
  const connection = await Connection.connect({ address, transport: kind === 'ours-http2' ? 'http2' : 'grpc-js' });
  const entity = new WorkerEntity({ taskQueue, activities: { noop } }, { connection });
  await entity.start();
  stop = async () => {
    await entity.close();
    await connection.close();
  };
}
console.log('READY');
process.on('SIGTERM', () => void stop().then(() => process.exit(0), () => process.exit(1)));
