/**
 * No-op activities per second: our Worker Entity against the official worker, same server,
 * same run. The workflow side is the official worker in both cases (workflow-only): it fans out
 * all activities first, with no activity worker running, so they wait in the task queue's backlog.
 * Then the activity worker starts and the clock runs until it has completed every one; the
 * workflow side cannot be the bottleneck. A raw poll→respond loop with no user code gives the
 * ceiling of this server.
 *
 *   npm run bench:activities            (BENCH_ACTIVITIES=2000 BENCH_ROUNDS=3 to change the load)
 */
import { randomUUID } from 'node:crypto';
import { NativeConnection, Runtime, DefaultLogger, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { Connection } from '../core/connection/connection.js';
import { temporal } from '../core/connection/proto.js';
import { WorkerEntity } from '../core/worker/worker-entity.js';
import { fixtureWorkflowsPath } from '../test/helpers/official-worker.js';
import { benchClient, benchServer, median, report } from './support.js';

const TOTAL = Number(process.env.BENCH_ACTIVITIES ?? 2000);
const PER_WORKFLOW = 100;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
let done = 0;
let allDone: () => void = () => undefined;
const noop = async () => {
  if (++done === TOTAL) allDone();
};

Runtime.install({ logger: new DefaultLogger('ERROR') });
const server = await benchServer();
const { client, close } = await benchClient(server.address);
const workflowBundle = await bundleWorkflowCode({ workflowsPath: fixtureWorkflowsPath, logger: new DefaultLogger('ERROR') });
const native = await NativeConnection.connect({ address: server.address });
const ours = await Connection.connect({ address: server.address });

type ActivitySide = (taskQueue: string) => Promise<() => Promise<void>>;

const sides: Record<string, ActivitySide> = {
  official: async (taskQueue) => {
    const w = await Worker.create({ connection: native, taskQueue, activities: { noop } });
    const running = w.run();
    return async () => {
      w.shutdown();
      await running;
    };
  },
  ours: async (taskQueue) => {
    const e = new WorkerEntity({ taskQueue, activities: { noop } }, { connection: ours });
    await e.start();
    return () => e.close();
  },
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
    return async () => {
      abort.abort();
      await Promise.all(loops);
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

async function measure(side: string): Promise<number> {
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
  const finished = new Promise<void>((r) => (allDone = r));
  const started = performance.now();
  const stopActivities = await sides[side]!(taskQueue);
  await finished;
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(handles.map((h) => h.result()));
  await stopActivities();
  wfWorker.shutdown();
  await wfRunning;
  return TOTAL / seconds;
}

const results: Record<string, number[]> = { official: [], ours: [], ceiling: [] };
await measure('ours'); // warm-up: server caches, JIT
for (let r = 0; r < ROUNDS; r++) for (const side of ['official', 'ours', 'ceiling']) results[side]!.push(await measure(side));

const m = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, median(v)]));
report(`no-op activities/s (${TOTAL} activities, ${PER_WORKFLOW} per workflow, median of ${ROUNDS})`, [
  ...Object.entries(results).map(([side, v]) => ({ side, 'activities/s (median)': Math.round(m[side]!), rounds: v.map(Math.round).join(' ') })),
  { side: 'ratio ours/official', 'activities/s (median)': +(m.ours! / m.official!).toFixed(2), rounds: '' },
  { side: 'ratio ours/ceiling', 'activities/s (median)': +(m.ours! / m.ceiling!).toFixed(2), rounds: '' },
]);

await ours.close();
await native.close();
await close();
await server.stop();
process.exit(0);
