/**
 * No-op activities per second: our Worker Entity against the official worker, same server,
 * same run. The workflow side is the official worker in both cases (workflow-only): it fans out
 * all activities first, with no activity worker running, so they wait in the task queue's backlog.
 * Then the activity worker starts and the clock runs until it has completed every one; the
 * workflow side cannot be the bottleneck. A raw poll→respond loop with no user code gives the
 * ceiling of this server. Each activity worker runs in its own process (the ceiling loop in this
 * one); activities/s and CPU per activity (that process's user + system ms ÷ activities) are taken
 * from its first activity to its last, so process start-up counts in neither.
 *
 *   npm run bench:activities            (BENCH_ACTIVITIES=2000 BENCH_ROUNDS=3 to change the load;
 *                                        BENCH_CPU_PROF=<dir> writes each worker process's --cpu-prof there)
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { NativeConnection, Runtime, DefaultLogger, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { Connection } from '../core/connection/connection.js';
import { temporal } from '../core/connection/proto.js';
import { fixtureWorkflowsPath } from '../test/helpers/official-worker.js';
import { benchClient, benchServer, median, report } from './support.js';

const TOTAL = Number(process.env.BENCH_ACTIVITIES ?? 2000);
const PER_WORKFLOW = 100;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
// The ceiling loop's count (the workers count their own, in their processes).
let done = 0;
let allDone: () => void = () => undefined;
let finishedAll = Promise.resolve();
const noop = async () => {
  if (++done === TOTAL) allDone();
};

Runtime.install({ logger: new DefaultLogger('ERROR') });
const server = await benchServer();
const { client, close } = await benchClient(server.address);
const workflowBundle = await bundleWorkflowCode({ workflowsPath: fixtureWorkflowsPath, logger: new DefaultLogger('ERROR') });
const native = await NativeConnection.connect({ address: server.address });
const ours = await Connection.connect({ address: server.address });

/** One measurement: activities/s and, for a worker in its own process, CPU ms per activity. */
interface Result {
  perSec: number;
  cpuMs?: number;
}
type ActivitySide = (taskQueue: string) => Promise<{ result: Promise<Result>; stop: () => Promise<void> }>;

/** The activity worker in its own process (bench/activity-worker-process.mts). */
function workerProcess(kind: 'official' | 'ours' | 'ours-http2'): ActivitySide {
  return async (taskQueue) => {
    const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
    const child = spawn(process.execPath, [...prof, '--import', 'tsx', 'bench/activity-worker-process.mts', kind, taskQueue, server.address, String(TOTAL)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((r) => child.once('exit', r));
    let first: [number, number] | undefined;
    let ready!: () => void;
    const isReady = new Promise<void>((r) => (ready = r));
    const result = new Promise<Result>((resolve, reject) => {
      void exited.then(() => reject(new Error(`${kind} activity worker exited early`)));
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const [what, cpu, at] = line.split(' ');
        if (what === 'READY') ready();
        else if (what === 'FIRST') first = [Number(cpu), Number(at)];
        else if (what === 'DONE' && first) resolve({ perSec: (TOTAL - 1) / ((Number(at) - first[1]) / 1000), cpuMs: (Number(cpu) - first[0]) / 1000 / (TOTAL - 1) });
      });
    });
    result.catch(() => undefined);
    await Promise.race([isReady, result]);
    return {
      result,
      stop: async () => {
        child.kill('SIGTERM');
        await exited;
      },
    };
  };
}

const sides: Record<string, ActivitySide> = {
  official: workerProcess('official'),
  ours: workerProcess('ours'),
  // Ours on the connection option `transport: 'http2'` (core/connection/http2-transport.ts).
  'ours-http2': workerProcess('ours-http2'),
  ceiling: async (taskQueue) => {
    // No user code, no converters: poll, answer, repeat. What this server can do.
    const abort = new AbortController();
    const loops = Array.from({ length: 10 }, async () => {
      while (!abort.signal.aborted) {
        const t = await ours
          .call('pollActivityTaskQueue', { namespace: 'default', taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL }, identity: 'ceiling' }, { longPoll: true, signal: abort.signal })
          .catch(() => undefined);
        // Answers are not awaited before the next poll, as in a real worker.
        if (t?.taskToken?.length) void ours.call('respondActivityTaskCompleted', { namespace: 'default', taskToken: t.taskToken, identity: 'ceiling' }).then(noop);
      }
    });
    const started = performance.now();
    return {
      result: finishedAll.then(() => ({ perSec: TOTAL / ((performance.now() - started) / 1000) })),
      stop: async () => {
        abort.abort();
        await Promise.all(loops);
      },
    };
  },
};

/** Waits until the workflows have scheduled every activity (they sit in the backlog). */
async function waitForBacklog(taskQueue: string): Promise<void> {
  for (;;) {
    const res = await ours.call('describeTaskQueue', {
      namespace: 'default',
      taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
      reportStats: true,
    });
    const backlog = Number(res.stats?.approximateBacklogCount ?? 0);
    if (backlog >= TOTAL) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function measure(side: string): Promise<Result> {
  const taskQueue = `bench-act-${side}-${randomUUID()}`;
  const wfWorker = await Worker.create({ connection: native, taskQueue, workflowBundle, maxCachedWorkflows: 100 });
  const wfRunning = wfWorker.run();
  const handles = await Promise.all(
    Array.from({ length: TOTAL / PER_WORKFLOW }, (_, i) =>
      client.workflow.start('fanOut', { taskQueue, workflowId: `${taskQueue}-${i}`, args: ['noop', PER_WORKFLOW] }),
    ),
  );
  await waitForBacklog(taskQueue);
  done = 0;
  finishedAll = new Promise<void>((r) => (allDone = r));
  const { result, stop } = await sides[side]!(taskQueue);
  const r = await result;
  await Promise.all(handles.map((h) => h.result()));
  await stop();
  wfWorker.shutdown();
  await wfRunning;
  return r;
}

const results: Record<string, Result[]> = { official: [], ours: [], 'ours-http2': [], ceiling: [] };
await measure('ours'); // warm-up: server caches, JIT
for (let r = 0; r < ROUNDS; r++) for (const side of ['official', 'ours', 'ours-http2', 'ceiling']) results[side]!.push(await measure(side));

const perSec = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, median(v.map((x) => x.perSec))]));
const cpu = (side: string) => median(results[side]!.map((x) => x.cpuMs ?? NaN));
report(`no-op activities/s (${TOTAL} activities, ${PER_WORKFLOW} per workflow, median of ${ROUNDS})`, [
  ...Object.entries(results).map(([side, v]) => ({
    side,
    'activities/s (median)': Math.round(perSec[side]!),
    'worker CPU ms per activity': side === 'ceiling' ? '' : +cpu(side).toFixed(3),
    rounds: v.map((x) => Math.round(x.perSec)).join(' '),
  })),
  { side: 'ratio ours/official', 'activities/s (median)': +(perSec.ours! / perSec.official!).toFixed(2), 'worker CPU ms per activity': +(cpu('ours') / cpu('official')).toFixed(2), rounds: '' },
  { side: "ratio ours-http2/official", 'activities/s (median)': +(perSec['ours-http2']! / perSec.official!).toFixed(2), 'worker CPU ms per activity': +(cpu('ours-http2') / cpu('official')).toFixed(2), rounds: '' },
  { side: 'ratio ours/ceiling', 'activities/s (median)': +(perSec.ours! / perSec.ceiling!).toFixed(2), 'worker CPU ms per activity': '', rounds: '' },
]);

// CPU per activity as a metric row too, for bench/summary.mts.
report('worker CPU per activity', [
  { metric: 'worker CPU per activity (ms)', official: +cpu('official').toFixed(3), ours: +cpu('ours').toFixed(3), 'ours/official': +(cpu('ours') / cpu('official')).toFixed(2) },
  { metric: "worker CPU per activity (ms), ours with transport 'http2'", official: +cpu('official').toFixed(3), ours: +cpu('ours-http2').toFixed(3), 'ours/official': +(cpu('ours-http2') / cpu('official')).toFixed(2) },
]);

await ours.close();
await native.close();
await close();
await server.stop();
process.exit(0);
