/**
 * CPU of our workflow path alone, without the network or a server: the workflow tasks of real
 * `activityAndTimer` runs (recorded once from the server: PollWorkflowTaskQueue responses) are
 * replayed, under fresh run ids, through the same WorkflowTaskHandler, WorkflowSandbox and
 * threads a worker uses; the task answers go to a stand-in connection that accepts them. So the
 * figure is what our code costs per workflow (history → activations → sandbox → commands), the
 * part of `bench:workflows` this project writes, measured on a steady load a shared server
 * cannot disturb.
 *
 *   npm run bench:workflow-path     (BENCH_WORKFLOWS=2000 BENCH_CONCURRENCY=50 BENCH_ROUNDS=3;
 *                                    TEMPORAL_ADDRESS or a dev server of its own, for the recording)
 *
 * Prints the CPU per workflow (process, and per thread from /proc when available) and per
 * workflow task, median over rounds; the first round is also the JIT's warm-up and is reported apart.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { Connection } from '../core/connection/connection.js';
import { temporal } from '../core/connection/proto.js';
import { ConsoleLogger } from '../core/logger.js';
import { WorkerEntity } from '../core/worker/worker-entity.js';
import { WorkflowRunCache } from '../core/workflow-worker/workflow-run-cache.js';
import { WorkflowTaskHandler } from '../core/workflow-worker/workflow-task-handler.js';
import { SinkDispatcher } from '../sandbox/sinks.js';
import { WorkflowSandbox } from '../sandbox/workflow-sandbox.js';
import { workflowBundleFrom } from '../sandbox/workflow-bundle-source.js';
import { fixtureWorkflowsPath } from '../test/helpers/official-worker.js';
import { benchClient, benchServer, median, report } from './support.js';

type Task = temporal.api.workflowservice.v1.PollWorkflowTaskQueueResponse;
const TaskMessage = temporal.api.workflowservice.v1.PollWorkflowTaskQueueResponse;

const WORKFLOWS = Number(process.env.BENCH_WORKFLOWS ?? 2000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WORKFLOW_TYPE = 'activityAndTimer';

/** Runs one workflow on a real worker and keeps the encoded workflow tasks it was given, in order. */
async function record(address: string): Promise<Uint8Array[]> {
  const taskQueue = `bench-path-${randomUUID()}`;
  const connection = await Connection.connect({ address });
  const tasks: Task[] = [];
  const call = connection.call.bind(connection);
  // Wrapping the one method is the least intrusive tap: every poll goes through it.
  connection.call = (async (method: string, request: unknown, opts?: unknown) => {
    const res = await (call as (m: string, r: unknown, o?: unknown) => Promise<unknown>)(method, request, opts);
    if (method === 'pollWorkflowTaskQueue' && (res as Task).taskToken?.length) tasks.push(res as Task);
    return res;
  }) as typeof connection.call;
  const entity = new WorkerEntity({ taskQueue, workflowsPath: fixtureWorkflowsPath, activities: { greet: async (name: string) => `Hello, ${name}!` } }, { connection });
  await entity.start();
  const { client, close } = await benchClient(address);
  await client.workflow.execute(WORKFLOW_TYPE, { taskQueue, workflowId: `${taskQueue}-rec` });
  await close();
  await entity.close();
  await connection.close();
  if (tasks.length < 2) throw new Error(`recorded ${tasks.length} workflow tasks; expected one per task of ${WORKFLOW_TYPE}`);
  return tasks.map((t) => TaskMessage.encode(t).finish());
}

/** Answers what the handler sends; a task answer is accepted, as the server would. */
function standInConnection(): Connection {
  const calls = new Map<string, number>();
  const stub = {
    namespace: 'default',
    options: { retry: { maxAttempts: 1, initialIntervalMs: 1, maxIntervalMs: 1, multiplier: 1 } },
    systemInfo: { capabilities: { sdkMetadata: true } },
    calls,
    async call(method: string) {
      calls.set(method, (calls.get(method) ?? 0) + 1);
      if (method === 'respondWorkflowTaskCompleted') return temporal.api.workflowservice.v1.RespondWorkflowTaskCompletedResponse.create();
      throw new Error(`the workflow path bench did not expect ${method}`);
    },
  };
  return stub as unknown as Connection;
}

/** User + system CPU (ms) of each thread of this process, from /proc; empty where there is none. */
function threadCpuMs(): Map<string, number> {
  const out = new Map<string, number>();
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(tid, (Number(fields[11]) + Number(fields[12])) * 10); // clock ticks of 10 ms
    }
  } catch {
    // not Linux
  }
  return out;
}

import { existsSync, writeFileSync } from 'node:fs';
const cacheFile = process.env.BENCH_RECORDING;
let recorded: Uint8Array[];
if (cacheFile && existsSync(cacheFile)) recorded = (JSON.parse(readFileSync(cacheFile, 'utf8')) as string[]).map((b) => Buffer.from(b, 'base64'));
else {
  const server = await benchServer();
  recorded = await record(server.address);
  await server.stop();
  if (cacheFile) writeFileSync(cacheFile, JSON.stringify(recorded.map((b) => Buffer.from(b).toString('base64'))));
}

const sandbox = await WorkflowSandbox.create(process.env.BENCH_THREADS ? { threads: Number(process.env.BENCH_THREADS) } : {});
const bundle = await workflowBundleFrom({ workflowsPath: fixtureWorkflowsPath } as Parameters<typeof workflowBundleFrom>[0]);
sandbox.registerBundle(bundle);
const logger = new ConsoleLogger('WARN');
const connection = standInConnection();
const taskQueue = 'bench-path';
const handler = new WorkflowTaskHandler({
  connection,
  taskQueue,
  identity: 'bench',
  sandbox,
  bundleId: bundle.id,
  cache: new WorkflowRunCache(CONCURRENCY * 2),
  sticky: { current: () => ({ name: `${taskQueue}-sticky`, scheduleToStartTimeoutMs: 10_000 }) },
  runCreate: { namespace: 'default', taskQueue, registeredActivityNames: ['greet'] },
  sinks: new SinkDispatcher(undefined, logger),
  serverSupportsSdkMetadata: true,
  logger,
});

/** One workflow: its recorded tasks, in order, under a fresh run id. */
async function runOne(): Promise<void> {
  const runId = randomUUID();
  for (const bytes of recorded) {
    const task = TaskMessage.decode(bytes);
    task.workflowExecution!.runId = runId;
    await handler.handle(task);
  }
}

async function round(): Promise<{ cpuMs: number; wallMs: number; threads: Map<string, number> }> {
  const t0 = threadCpuMs();
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => { while (next++ < WORKFLOWS) await runOne(); }));
  const wallMs = performance.now() - w0;
  const c = process.cpuUsage(c0);
  const t1 = threadCpuMs();
  const threads = new Map([...t1].map(([tid, ms]) => [tid, ms - (t0.get(tid) ?? 0)]));
  return { cpuMs: (c.user + c.system) / 1000, wallMs, threads };
}

const rounds: Awaited<ReturnType<typeof round>>[] = [];
for (let r = 0; r <= ROUNDS; r++) rounds.push(await round());
const [warm, ...measured] = rounds;
const perWf = (ms: number) => +(ms / WORKFLOWS).toFixed(3);
const mainTid = String(process.pid);
const sandboxTids = new Set<string>();
// The sandbox threads are the ones that worked the most besides the main thread.
const busiest = [...measured.at(-1)!.threads].filter(([tid]) => tid !== mainTid).sort((a, b) => b[1] - a[1]);
for (const [tid] of busiest.slice(0, sandbox.settings.threads)) sandboxTids.add(tid);
const split = (m: (typeof rounds)[number]) => {
  let main = 0, sandboxMs = 0, other = 0;
  for (const [tid, ms] of m.threads) (tid === mainTid ? (main += ms) : sandboxTids.has(tid) ? (sandboxMs += ms) : (other += ms));
  return { main, sandbox: sandboxMs, other };
};
const tasksPerWf = recorded.length;
report(`workflow path (no network): ${WORKFLOWS} × ${WORKFLOW_TYPE} (${tasksPerWf} workflow tasks each), ${CONCURRENCY} at once, ${sandbox.settings.threads} sandbox threads; median of ${ROUNDS} rounds after a warm-up round`, [
  { metric: 'CPU per workflow (ms), process', warmUp: perWf(warm!.cpuMs), measured: perWf(median(measured.map((m) => m.cpuMs))) },
  { metric: 'CPU per workflow task (ms), process', warmUp: perWf(warm!.cpuMs / tasksPerWf), measured: perWf(median(measured.map((m) => m.cpuMs)) / tasksPerWf) },
  { metric: '… main thread', warmUp: perWf(split(warm!).main), measured: perWf(median(measured.map((m) => split(m).main))) },
  { metric: '… sandbox threads', warmUp: perWf(split(warm!).sandbox), measured: perWf(median(measured.map((m) => split(m).sandbox))) },
  { metric: '… other threads (GC, JIT)', warmUp: perWf(split(warm!).other), measured: perWf(median(measured.map((m) => split(m).other))) },
  { metric: 'workflows/s', warmUp: +(WORKFLOWS / (warm!.wallMs / 1000)).toFixed(0), measured: +(WORKFLOWS / (median(measured.map((m) => m.wallMs)) / 1000)).toFixed(0) },
]);
await sandbox.close();
process.exit(0);
