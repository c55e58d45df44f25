/**
 * The control plane, ours against the official worker, same server, same run:
 *   1. POST /workers → first task in hand (a task waits in the backlog, so this is the first poll
 *      plus its answer), against the official Worker.create() + run() on an open connection.
 *   2. drain → DRAINED with N activities in flight, against the longest time any of them still had
 *      to run (the floor); the official worker's shutdown with the same grace, same measure.
 *   3. process start → first task in hand (wall, and the process's CPU until then): `node dist/cli/main.js start` against a script that
 *      starts the official worker (also from dist/, `npm run bench:control` builds first), both bundling the workflows
 *      (the official worker with webpack) and running the first workflow task of a waiting workflow.
 *
 *   npm run bench:control      (BENCH_ROUNDS=5 BENCH_INFLIGHT=50 to change the load;
 *                               BENCH_PARTS=start to run only some of add,drain,start)
 */
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Context } from '@temporalio/activity';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime as OfficialRuntime, Worker } from '@temporalio/worker';
import { createControlApi } from '../control-api/app.js';
import { Connection } from '../core/connection/connection.js';
import { temporal } from '../core/connection/proto.js';
import { TemporalDevServer } from '../core/dev-server/temporal-dev-server.js';
import { Runtime } from '../core/runtime/runtime.js';
import { defineActivityPlugin } from '../plugins/contracts.js';
import { fixtureWorkflowsPath } from '../test/helpers/official-worker.js';
import { benchClient, median, report } from './support.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const IN_FLIGHT = Number(process.env.BENCH_INFLIGHT ?? 50);
const PARTS = new Set((process.env.BENCH_PARTS ?? 'add,drain,start').split(','));
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const silent = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

// A dev server we start (its defaults let ShutdownWorker end open polls at once), or TEMPORAL_ADDRESS.
const dev = process.env.TEMPORAL_ADDRESS ? undefined : await TemporalDevServer.start();
const address = process.env.TEMPORAL_ADDRESS ?? dev!.address;
OfficialRuntime.install({ logger: new DefaultLogger('ERROR') });
const { client, close } = await benchClient(address);
const workflowBundle = await bundleWorkflowCode({ workflowsPath: fixtureWorkflowsPath, logger: new DefaultLogger('ERROR') });
const native = await NativeConnection.connect({ address });
const probe = await Connection.connect({ address });
const runtime = await Runtime.create({ address, drainGraceMs: 60_000 }, { logger: silent });
const api = createControlApi(runtime);
// Activities reach ours through a plugin, as over the wire; each round swaps in its own bodies.
const handlers: Record<string, (...a: never[]) => Promise<unknown>> = {};
await runtime.registerPlugin(
  defineActivityPlugin({ name: 'bench', activities: { mark: (...a: never[]) => handlers.mark!(...a), work: (...a: never[]) => handlers.work!(...a) } }),
);
const postWorker = async (taskQueue: string): Promise<string> => {
  const res = await api.request('/workers', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ taskQueue, activityPlugins: ['bench'] }) });
  if (res.status !== 201) throw new Error(`POST /workers: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
};

/** Starts a workflow-only official worker and `count` workflows of one activity each; waits until they sit in the backlog. */
async function backlog(taskQueue: string, activity: string, args: unknown[][]): Promise<() => Promise<void>> {
  const wf = await Worker.create({ connection: native, taskQueue, workflowBundle });
  const running = wf.run();
  await Promise.all(args.map((a, i) => client.workflow.start('callActivity', { taskQueue, workflowId: `${taskQueue}-${i}`, args: [activity, a, { startToCloseTimeout: '60s' }] })));
  for (;;) {
    const res = await probe.call('describeTaskQueue', {
      namespace: 'default',
      taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
      reportStats: true,
    });
    if (Number(res.stats?.approximateBacklogCount ?? 0) >= args.length) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return async () => {
    wf.shutdown();
    await running;
  };
}

// 1. Add → first task.
async function addToFirstTask(side: 'ours' | 'official'): Promise<number> {
  const taskQueue = `bench-add-${side}-${randomUUID()}`;
  const stopWf = await backlog(taskQueue, 'mark', [[]]);
  let first!: () => void;
  const got = new Promise<void>((r) => (first = r));
  const mark = async () => first();
  const t0 = performance.now();
  let stop: () => Promise<void>;
  if (side === 'ours') {
    handlers.mark = mark;
    const id = await postWorker(taskQueue);
    stop = () => runtime.remove(id, { force: true });
  } else {
    const w = await Worker.create({ connection: native, taskQueue, activities: { mark } });
    const running = w.run();
    stop = async () => {
      w.shutdown();
      await running;
    };
  }
  await got;
  const ms = performance.now() - t0;
  await stop();
  await stopWf();
  return ms;
}

// 2. Drain with N in flight.
async function drainRatio(side: 'ours' | 'official'): Promise<{ drainMs: number; floorMs: number }> {
  const taskQueue = `bench-drain-${side}-${randomUUID()}`;
  const durations = Array.from({ length: IN_FLIGHT }, (_, i) => 300 + Math.round((700 * i) / IN_FLIGHT));
  const stopWf = await backlog(taskQueue, 'work', durations.map((d) => [d]));
  const ends: number[] = [];
  let started = 0;
  let allStarted!: () => void;
  const inFlight = new Promise<void>((r) => (allStarted = r));
  const work = async (ms: number) => {
    ends.push(performance.now() + ms);
    if (++started === IN_FLIGHT) allStarted();
    await (side === 'official' ? new Promise((r) => setTimeout(r, ms)) : Context.current().sleep(ms));
  };
  let drain: () => Promise<void>;
  if (side === 'ours') {
    handlers.work = work as (...a: never[]) => Promise<unknown>;
    const id = await postWorker(taskQueue);
    drain = async () => {
      const res = await api.request(`/workers/${id}/drain`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"graceMs":60000}' });
      if (((await res.json()) as { state: string }).state !== 'DRAINED') throw new Error('not DRAINED');
    };
  } else {
    const w = await Worker.create({ connection: native, taskQueue, activities: { work }, shutdownGraceTime: '60s', maxConcurrentActivityTaskExecutions: 100 });
    const running = w.run();
    drain = async () => {
      w.shutdown();
      await running;
    };
  }
  await inFlight;
  const t0 = performance.now();
  const floorMs = Math.max(...ends) - t0;
  await drain();
  const drainMs = performance.now() - t0;
  await stopWf();
  return { drainMs, floorMs };
}

// 3. Process start → first task.
/** CPU (user + system, all threads) a process has used so far, in ms; NaN where /proc is missing. */
function cpuMsOf(pid: number | undefined): number {
  try {
    // Fields 14 and 15 of /proc/<pid>/stat, counted after the parenthesised command name.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
  } catch {
    return Number.NaN;
  }
}
const CLOCK_TICKS_PER_S = 100; // USER_HZ, 100 on every Linux Node supports

function spawnToFirstTask(args: string[]): Promise<{ ms: number; cpuMs: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, TEMPORAL_ADDRESS: address, TEMPORAL_WORKER_LOG_LEVEL: 'ERROR' }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('FIRST_TASK')) {
        const ms = performance.now() - t0;
        const cpuMs = cpuMsOf(child.pid);
        child.kill('SIGTERM');
        child.once('exit', () => resolve({ ms, cpuMs }));
      }
    });
    child.once('exit', (code) => (out.includes('FIRST_TASK') ? undefined : reject(new Error(`exited ${code} before its first task`))));
  });
}

async function processStart(side: 'ours' | 'official'): Promise<{ ms: number; cpuMs: number }> {
  // Both processes host the workflows too, so the time includes bundling (webpack for the
  // official worker, esbuild for ours), the first workflow task, and the activity it schedules.
  const taskQueue = `bench-start-${side}-${randomUUID()}`;
  const handle = await client.workflow.start('callActivity', { taskQueue, workflowId: taskQueue, args: ['mark', [], { startToCloseTimeout: '60s' }] });
  let ms: { ms: number; cpuMs: number };
  if (side === 'ours') {
    const config = path.join(mkdtempSync(path.join(tmpdir(), 'tempo-bench-')), 'config.json');
    writeFileSync(
      config,
      JSON.stringify({ api: { port: 0 }, moduleRoots: [root], plugins: [{ module: path.join(root, 'dist/test/fixtures/plugins/mark-activities.js') }], workers: [{ taskQueue, activityPlugins: ['mark'], workflowsPath: fixtureWorkflowsPath }] }),
    );
    ms = await spawnToFirstTask(['dist/cli/main.js', 'start', '--config', config]);
  } else {
    ms = await spawnToFirstTask(['dist/test/fixtures/official-worker-start.js', address, taskQueue, fixtureWorkflowsPath]);
  }
  await handle.terminate().catch(() => undefined);
  return ms;
}

const sides = ['official', 'ours'] as const;
const add: Record<string, number[]> = { ours: [], official: [] };
const drains: Record<string, Array<{ drainMs: number; floorMs: number }>> = { ours: [], official: [] };
const starts: Record<string, number[]> = { ours: [], official: [] };
const startCpu: Record<string, number[]> = { ours: [], official: [] };
if (PARTS.has('add')) await addToFirstTask('ours'); // warm-up
for (let r = 0; r < ROUNDS; r++) {
  if (PARTS.has('add')) for (const s of sides) add[s]!.push(await addToFirstTask(s));
  if (PARTS.has('drain')) for (const s of sides) drains[s]!.push(await drainRatio(s));
  if (PARTS.has('start')) {
    for (const s of sides) {
      const { ms, cpuMs } = await processStart(s);
      starts[s]!.push(ms);
      startCpu[s]!.push(cpuMs);
    }
  }
}

const fmt = (xs: number[]) => xs.map((x) => Math.round(x)).join(' ');
const m = (xs: number[]) => median(xs);
if (PARTS.has('add')) report(`add → first task in hand, ms (median of ${ROUNDS})`, [
  ...sides.map((s) => ({ side: s, 'ms (median)': Math.round(m(add[s]!)), rounds: fmt(add[s]!) })),
  { side: 'ratio ours/official', 'ms (median)': +(m(add.ours!) / m(add.official!)).toFixed(2), rounds: '' },
]);
const over = (s: string) => drains[s]!.map((d) => d.drainMs / d.floorMs);
if (PARTS.has('drain')) report(`drain → DRAINED with ${IN_FLIGHT} activities in flight (300–1000 ms each), against the longest remaining task`, [
  ...sides.map((s) => ({ side: s, 'drain ms (median)': Math.round(m(drains[s]!.map((d) => d.drainMs))), 'floor ms (median)': Math.round(m(drains[s]!.map((d) => d.floorMs))), 'drain/floor (median)': +m(over(s)).toFixed(2), rounds: drains[s]!.map((d) => `${Math.round(d.drainMs)}/${Math.round(d.floorMs)}`).join(' ') })),
  { side: 'ratio ours/official (drain/floor)', 'drain ms (median)': '', 'floor ms (median)': '', 'drain/floor (median)': +(m(over('ours')) / m(over('official'))).toFixed(2), rounds: '' },
]);
if (PARTS.has('start')) report(`process start → first activity of a waiting workflow in hand, workflows bundled in-process, ms (median of ${ROUNDS}; both run from the tsc build with plain node)`, [
  ...sides.map((s) => ({ side: s, 'ms (median)': Math.round(m(starts[s]!)), 'process CPU ms (median)': Math.round(m(startCpu[s]!)), rounds: fmt(starts[s]!) })),
  { side: 'ratio ours/official', 'ms (median)': +(m(starts.ours!) / m(starts.official!)).toFixed(2), 'process CPU ms (median)': +(m(startCpu.ours!) / m(startCpu.official!)).toFixed(2), rounds: '' },
]);

await runtime.shutdown({ graceMs: 0 });
await probe.close();
await native.close();
await close();
await dev?.stop();
process.exit(0);
