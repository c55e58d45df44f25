/**
 * One worker in its own process, so the benchmark can compare RSS and CPU per worker:
 *   tsx bench/worker-process.mts <ours|official> <taskQueue> <address> [workflowsPath]
 * Prints READY once polling. Each `sample` line on stdin runs a full GC (the process runs with
 * --expose-gc) and answers `SAMPLE <rss bytes> <cpu µs>`, so RSS is read at comparable points
 * rather than wherever the collector happened to be. Exits on SIGTERM after draining.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { NativeConnection, Worker, Runtime, DefaultLogger, bundleWorkflowCode } from '@temporalio/worker';
import { Connection } from '../core/connection/connection.js';
import { WorkerEntity } from '../core/worker/worker-entity.js';
import { fixtureWorkflowsPath } from '../test/helpers/official-worker.js';
import { runOfficial } from './run-official.js';

const [kind, taskQueue, address, workflowsPathArg] = process.argv.slice(2) as [string, string, string, string?];
const workflowsPath = workflowsPathArg ?? fixtureWorkflowsPath;
const activities = { greet: async (name: string) => `Hello, ${name}!` };
let stop: () => Promise<void>;

if (kind === 'official') {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const connection = await NativeConnection.connect({ address });
  const workflowBundle = await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('ERROR') });
  const worker = await Worker.create({ connection, taskQueue, workflowBundle, activities, maxCachedWorkflows: 2000 });
  stop = runOfficial(worker, connection);
} else {
  const connection = await Connection.connect({ address });
  const entity = new WorkerEntity({ taskQueue, workflowsPath, activities, maxCachedWorkflows: 2000 }, { connection, ...(process.env.BENCH_SANDBOX_THREADS ? { sandboxOptions: { threads: Number(process.env.BENCH_SANDBOX_THREADS) } } : {}) });
  await entity.start();
  stop = async () => {
    await entity.close();
    await connection.close();
  };
}
console.log('READY');
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line !== 'sample') return;
  (globalThis as { gc?: () => void }).gc?.();
  // Let freed pages settle before reading RSS.
  setTimeout(() => {
    const cpu = process.cpuUsage();
    console.log(`SAMPLE ${process.memoryUsage().rss} ${cpu.user + cpu.system}`);
    if (process.env.BENCH_THREAD_CPU) console.error(`THREADS ${kind} ${threadCpu()}`);
  }, 200);
});
process.on('SIGTERM', () => void stop().then(() => process.exit(0)));

/** tid:ms for each thread of this process (from /proc), for a per-thread split. */
function threadCpu(): string {
  try {
    return readdirSync('/proc/self/task').map((tid) => {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const comm = readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim().replace(/\s/g, '_');
      return `${tid}:${comm}:${(Number(f[11]) + Number(f[12])) * 10}`;
    }).join(',');
  } catch {
    return '';
  }
}
