/**
 * One per-run sample in a fresh process, as a new user runs a sample: start a runtime (or the
 * official NativeConnection + Worker), add a worker hosting the workflows, run one workflow of
 * one activity, shut down. Prints `PHASES {json}` with the milliseconds of each phase.
 *   tsx bench/per-run-process.mts <ours|official> <address>
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection as ClientConnection } from '@temporalio/client';
import { fixtureWorkflowsPath } from '../test/helpers/official-worker.js';

const [kind, address] = process.argv.slice(2) as ['ours' | 'official', string];
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const taskQueue = `bench-per-run-${kind}-${randomUUID()}`;
const activities = { echo: async (s: string) => s };
const phases: Record<string, number> = {};
let t = performance.now();
const lap = (name: string) => {
  const now = performance.now();
  phases[name] = Math.round(now - t);
  t = now;
};
const clientConnection = await ClientConnection.connect({ address });
const client = new Client({ connection: clientConnection });
t = performance.now();
const begin = t;
const run = () => client.workflow.execute('callActivity', { taskQueue, workflowId: taskQueue, args: ['echo', ['x']] });
if (kind === 'ours') {
  const { Runtime } = await import('../core/runtime/runtime.js');
  const silent = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
  const runtime = await Runtime.create({ address, moduleRoots: [root] }, { logger: silent });
  lap('start runtime');
  await runtime.addWorker({ taskQueue, workflowsPath: fixtureWorkflowsPath, activities });
  lap('add worker');
  await run();
  lap('run workflow');
  await runtime.shutdown();
  lap('shut down');
} else {
  const { DefaultLogger, NativeConnection, Runtime, Worker } = await import('@temporalio/worker');
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const connection = await NativeConnection.connect({ address });
  lap('start runtime');
  const worker = await Worker.create({ connection, taskQueue, workflowsPath: fixtureWorkflowsPath, activities });
  lap('add worker');
  const running = worker.run();
  await run();
  lap('run workflow');
  worker.shutdown();
  await running;
  await connection.close();
  lap('shut down');
}
phases.total = Math.round(performance.now() - begin);
console.log(`PHASES ${JSON.stringify(phases)}`);
await clientConnection.close();
process.exit(0);
