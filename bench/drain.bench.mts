/**
 * Drain under load, ours against the official worker, same server, same run. Each round, for
 * each worker: one worker hosting workflows and activities takes 100 workflows of one activity
 * (3–4.35 s each, so that half of them overlap on a loaded machine), is drained once at least half of them are in flight, and a second worker of
 * the same kind finishes the rest. Then every history is read:
 *   - lost: an activity or workflow task begun around the drain that waited for its timeout (a
 *     *_TIMED_OUT event), which is what a drain that drops a task in flight produces; timeouts of
 *     tasks begun earlier (an overloaded machine) are counted apart;
 *   - drain/floor: drain → DRAINED against the longest time an in-flight activity still had to run.
 *
 *   npm run bench:drain      (BENCH_ROUNDS=20 BENCH_WORKFLOWS=100; TEMPORAL_ADDRESS to use a running server)
 *   BENCH_POLL_COMPLETION=off npm run bench:drain   (a dev server without workerPollCompleteOnShutdown,
 *                            with the stock 60 s long-poll interval, as servers before 1.32 run)
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime as OfficialRuntime, Worker } from '@temporalio/worker';
import { temporal } from '../core/connection/proto.js';
import { devServerDefaults, TemporalDevServer } from '../core/dev-server/temporal-dev-server.js';
import { Runtime } from '../core/runtime/runtime.js';
import { defineActivityPlugin } from '../plugins/contracts.js';
import { fixtureWorkflowsPath } from '../test/helpers/official-worker.js';
import { benchClient, benchServer, median, report } from './support.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);
const WORKFLOWS = Number(process.env.BENCH_WORKFLOWS ?? 100);
const GRACE_MS = 60_000;
const silent = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
const { EventType } = temporal.api.enums.v1;

const withoutPollCompletion = process.env.BENCH_POLL_COMPLETION === 'off';
const server = withoutPollCompletion ? await serverWithoutPollCompletion() : await benchServer();
if (withoutPollCompletion) console.log('server without workerPollCompleteOnShutdown, stock long-poll interval');

async function serverWithoutPollCompletion(): Promise<{ address: string; stop: () => Promise<void> }> {
  const { 'matching.longPollExpirationInterval': _stock, ...dynamicConfig } = devServerDefaults.dynamicConfig;
  const dev = await TemporalDevServer.start({ dynamicConfig: { ...dynamicConfig, 'frontend.enableCancelWorkerPollsOnShutdown': false } });
  return { address: dev.address, stop: () => dev.stop() };
}
OfficialRuntime.install({ logger: new DefaultLogger('ERROR') });
const { client, close } = await benchClient(server.address);
const workflowBundle = await bundleWorkflowCode({ workflowsPath: fixtureWorkflowsPath, logger: new DefaultLogger('ERROR') });
const native = await NativeConnection.connect({ address: server.address });
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const runtime = await Runtime.create({ address: server.address, drainGraceMs: GRACE_MS, moduleRoots: [root] }, { logger: silent });

/** Activities running right now, with the time each will end; shared by both workers. */
const running = new Map<number, number>();
let nextId = 0;
const work = async (ms: number): Promise<void> => {
  const id = nextId++;
  running.set(id, performance.now() + ms);
  await new Promise((r) => setTimeout(r, ms));
  running.delete(id);
};
await runtime.registerPlugin(defineActivityPlugin({ name: 'drain-bench', activities: { work } }));

interface Side {
  start: (taskQueue: string) => Promise<{ drain: () => Promise<void> }>;
}
const sides: Record<'official' | 'ours', Side> = {
  ours: {
    async start(taskQueue) {
      const { id } = await runtime.addWorker({ taskQueue, activityPlugins: ['drain-bench'], workflowsPath: fixtureWorkflowsPath });
      return {
        drain: async () => {
          const info = await runtime.drain(id, { graceMs: GRACE_MS });
          if (info.state !== 'DRAINED') throw new Error(`ours ended ${info.state}`);
          await runtime.remove(id);
        },
      };
    },
  },
  official: {
    async start(taskQueue) {
      const w = await Worker.create({ connection: native, taskQueue, workflowBundle, activities: { work }, shutdownGraceTime: `${GRACE_MS}ms`, maxConcurrentActivityTaskExecutions: 100 });
      const run = w.run();
      return {
        drain: async () => {
          w.shutdown();
          await run;
        },
      };
    },
  },
};

interface Losses {
  /** Activity tasks started in the drain window that waited for their timeout. */
  activitiesLost: number;
  /** Workflow tasks scheduled or started in the drain window that waited for their timeout. */
  workflowTasksLost: number;
  /** Timeouts of tasks that began outside the drain window: the load, not the drain. */
  otherTimeouts: number;
  workflowTaskFailures: number;
}

const wall = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) => Number(t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;

/**
 * Reads every history. A timeout is charged to the drain when the task it ends was started (or,
 * never started, scheduled) between 1 s before the drain began and the end of the drain, wall
 * clock: server and bench share this machine's clock.
 */
async function losses(c: Client, ids: string[], window: { from: number; to: number }): Promise<Losses> {
  const out: Losses = { activitiesLost: 0, workflowTasksLost: 0, otherTimeouts: 0, workflowTaskFailures: 0 };
  for (let i = 0; i < ids.length; i += 10) {
    const histories = await Promise.all(ids.slice(i, i + 10).map((id) => c.workflow.getHandle(id).fetchHistory()));
    histories.forEach((h, j) => {
      const at = new Map((h.events ?? []).map((e) => [Number(e.eventId), wall(e.eventTime)]));
      for (const e of h.events ?? []) {
        if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED) out.workflowTaskFailures++;
        const a = e.activityTaskTimedOutEventAttributes ?? e.workflowTaskTimedOutEventAttributes;
        if (!a) continue;
        const began = at.get(Number(a.startedEventId ?? 0)) ?? at.get(Number(a.scheduledEventId ?? 0)) ?? 0;
        const inDrain = began >= window.from - 1000 && began <= window.to;
        if (!inDrain) out.otherTimeouts++;
        else if (e.activityTaskTimedOutEventAttributes) out.activitiesLost++;
        else out.workflowTasksLost++;
        if (process.env.BENCH_VERBOSE) console.error(`  ${ids[i + j]}: event ${e.eventId} ${EventType[e.eventType!]}, task began ${Math.round(began - window.from)} ms after the drain began${inDrain ? ' (lost at drain)' : ''}`);
      }
    });
  }
  return out;
}

interface Round extends Losses {
  lost: number;
  inFlight: number;
  drainMs: number;
  floorMs: number;
}

async function round(kind: 'official' | 'ours'): Promise<Round> {
  const taskQueue = `bench-drain-${kind}-${randomUUID()}`;
  const first = await sides[kind].start(taskQueue);
  const ids = Array.from({ length: WORKFLOWS }, (_, i) => `${taskQueue}-${i}`);
  // startToClose 10 s: a lost activity shows as a timeout within the round, not a minute later.
  const handles = await Promise.all(ids.map((workflowId, i) => client.workflow.start('callActivity', { taskQueue, workflowId, args: ['work', [3000 + (i % 10) * 150], { startToCloseTimeout: '10s' }] })));
  const waitUntil = performance.now() + 30_000;
  while (running.size < WORKFLOWS / 2 && performance.now() < waitUntil) await new Promise((r) => setTimeout(r, 2));
  const t0 = performance.now();
  const from = Date.now();
  const inFlight = running.size;
  const floorMs = Math.max(0, ...[...running.values()].map((end) => end - t0));
  await first.drain();
  const drainMs = performance.now() - t0;
  const to = Date.now();
  const second = await sides[kind].start(taskQueue);
  await Promise.all(handles.map((h) => h.result()));
  await second.drain();
  const l = await losses(client, ids, { from, to });
  return { ...l, lost: l.activitiesLost + l.workflowTasksLost, inFlight, drainMs, floorMs };
}

const rounds: Record<'official' | 'ours', Round[]> = { official: [], ours: [] };
for (let r = 0; r < ROUNDS; r++) {
  for (const kind of r % 2 === 0 ? (['official', 'ours'] as const) : (['ours', 'official'] as const)) {
    const res = await round(kind);
    rounds[kind].push(res);
    console.error(`round ${r + 1}/${ROUNDS} ${kind}: lost ${res.lost} (activities ${res.activitiesLost}, workflow tasks ${res.workflowTasksLost}; other timeouts ${res.otherTimeouts}, WFT failures ${res.workflowTaskFailures}), ${res.inFlight} in flight, drain ${Math.round(res.drainMs)} ms / floor ${Math.round(res.floorMs)} ms`);
  }
}

const sum = (xs: Round[], k: keyof Round) => xs.reduce((n, x) => n + x[k], 0);
const ratio = (xs: Round[]) => median(xs.map((x) => x.drainMs / x.floorMs));
report(`drain under load: ${ROUNDS} rounds × ${WORKFLOWS} workflows, drained with ≥ ${WORKFLOWS / 2} activities in flight`, [
  ...(['official', 'ours'] as const).map((s) => ({
    side: s,
    'tasks lost (total)': sum(rounds[s], 'lost'),
    'rounds with a loss': rounds[s].filter((x) => x.lost > 0).length,
    'activities lost': sum(rounds[s], 'activitiesLost'),
    'WFTs lost': sum(rounds[s], 'workflowTasksLost'),
    'other timeouts (load)': sum(rounds[s], 'otherTimeouts'),
    'WFT failures': sum(rounds[s], 'workflowTaskFailures'),
    'in flight (median)': median(rounds[s].map((x) => x.inFlight)),
    'drain ms (median)': Math.round(median(rounds[s].map((x) => x.drainMs))),
    'drain/floor (median)': +ratio(rounds[s]).toFixed(3),
    'drain/floor (max)': +Math.max(...rounds[s].map((x) => x.drainMs / x.floorMs)).toFixed(3),
  })),
  { side: 'ratio ours/official (drain/floor)', 'tasks lost (total)': '', 'rounds with a loss': '', 'activities lost': '', 'WFTs lost': '', 'other timeouts (load)': '', 'WFT failures': '', 'in flight (median)': '', 'drain ms (median)': '', 'drain/floor (median)': +(ratio(rounds.ours) / ratio(rounds.official)).toFixed(2), 'drain/floor (max)': '' },
]);

await runtime.shutdown({ graceMs: 0 });
await native.close();
await close();
await server.stop();
