/**
 * Workflow throughput, workflow-task latency, task cost at event ~1,000 vs ~10, and RSS per
 * 1,000 cached idle workflows: ours against the official worker, each worker in its own process,
 * against the same server, in one run.
 *
 *   npm run bench:workflows        (BENCH_WORKFLOWS=300 BENCH_IDLE=1000 BENCH_ROUNDS=1 to change the load; BENCH_CPU_PROF=<dir> profiles each worker process;
 *                                   medians over rounds, the first worker alternating)
 *
 * Latencies come from the server's own history timestamps (WorkflowTaskStarted →
 * WorkflowTaskCompleted), so both workers are measured by the same clock.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time.js';
import { benchClient, benchServer, compareRounds, median, report, startWorkerProcess } from './support.js';

const WORKFLOWS = Number(process.env.BENCH_WORKFLOWS ?? 300);
const IDLE = Number(process.env.BENCH_IDLE ?? 1000);
const LONG = 160; // sequential activities: ~1,000 events

type Hist = Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['fetchHistory']>>;

/** Workflow-task latencies (ms) by WorkflowTaskStarted event id, from server timestamps. */
function taskLatencies(history: Hist): Array<{ eventId: number; ms: number }> {
  const started = new Map<number, number>();
  const out: Array<{ eventId: number; ms: number }> = [];
  for (const e of history.events ?? []) {
    if (e.workflowTaskStartedEventAttributes) started.set(Number(e.eventId), tsToMs(e.eventTime));
    const done = e.workflowTaskCompletedEventAttributes;
    if (done) {
      const id = Number(done.startedEventId);
      out.push({ eventId: id, ms: tsToMs(e.eventTime) - started.get(id)! });
    }
  }
  return out;
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

async function measure(kind: string, client: Client, address: string) {
  const taskQueue = `bench-wf-${kind}-${randomUUID()}`;
  const w = await startWorkerProcess(kind, taskQueue, address);
  const run = (type: string, args: unknown[] = []) => client.workflow.execute(type, { taskQueue, workflowId: `${taskQueue}-${randomUUID()}`, args });
  // Warm-up: bundle loaded, threads started, JIT.
  await Promise.all(Array.from({ length: 20 }, () => run('activityAndTimer')));

  const cpu0 = (await w.sample()).cpuUs;
  const t0 = performance.now();
  const ids = Array.from({ length: WORKFLOWS }, (_, i) => `${taskQueue}-t${i}`);
  await Promise.all(ids.map((workflowId) => client.workflow.execute('activityAndTimer', { taskQueue, workflowId })));
  const throughput = WORKFLOWS / ((performance.now() - t0) / 1000);
  const cpuMsPerWorkflow = ((await w.sample()).cpuUs - cpu0) / 1000 / WORKFLOWS;

  const sample = await Promise.all(ids.slice(0, 100).map((id) => client.workflow.getHandle(id).fetchHistory()));
  const lat = sample.flatMap((h) => taskLatencies(h).map((l) => l.ms));

  const longId = `${taskQueue}-long`;
  await client.workflow.execute('sequentialActivities', { taskQueue, workflowId: longId, args: [LONG] });
  const longLat = taskLatencies(await client.workflow.getHandle(longId).fetchHistory());
  const early = median(longLat.slice(1, 11).map((l) => l.ms));
  const late = median(longLat.slice(-10).map((l) => l.ms));

  const rssBefore = (await w.sample()).rss;
  const idle = await Promise.all(Array.from({ length: IDLE }, (_, i) => client.workflow.start('collector', { taskQueue, workflowId: `${taskQueue}-idle${i}` })));
  // A query per run: answered only once its first task ran and the run sits in the cache.
  for (let i = 0; i < idle.length; i += 50) await Promise.all(idle.slice(i, i + 50).map((h) => h.query('state')));
  const rssAfter = (await w.sample()).rss;
  for (let i = 0; i < idle.length; i += 100) await Promise.all(idle.slice(i, i + 100).map((h) => h.terminate()));
  await w.stop();
  return {
    throughput,
    cpuMsPerWorkflow,
    p50: pct(lat, 0.5),
    p99: pct(lat, 0.99),
    early,
    late,
    lateEvent: longLat.at(-1)!.eventId,
    rssPer1000: ((rssAfter - rssBefore) / IDLE) * 1000,
    rssBase: rssBefore,
  };
}

const server = await benchServer();
const { client, close } = await benchClient(server.address);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1);
const { official, ours } = await compareRounds(ROUNDS, (kind) => measure(kind, client, server.address));
const mb = (b: number) => +(b / 2 ** 20).toFixed(1);
report(`workflows (median of ${ROUNDS}): ${WORKFLOWS} × (1 activity + 1 timer); ${IDLE} idle cached runs; a ${LONG}-activity run`, [
  { metric: 'workflows/s', official: +official.throughput.toFixed(1), ours: +ours.throughput.toFixed(1), 'ours/official': +(ours.throughput / official.throughput).toFixed(2) },
  { metric: 'worker CPU per workflow (ms)', official: +official.cpuMsPerWorkflow.toFixed(2), ours: +ours.cpuMsPerWorkflow.toFixed(2), 'ours/official': +(ours.cpuMsPerWorkflow / official.cpuMsPerWorkflow).toFixed(2) },
  { metric: 'WFT latency p50 (ms)', official: official.p50, ours: ours.p50, 'ours/official': +(ours.p50 / official.p50).toFixed(2) },
  { metric: 'WFT latency p99 (ms)', official: official.p99, ours: ours.p99, 'ours/official': +(ours.p99 / official.p99).toFixed(2) },
  { metric: 'cached WFT at event ~10 (ms, median)', official: official.early, ours: ours.early, 'ours/official': +(ours.early / official.early).toFixed(2) },
  { metric: `cached WFT at event ~${ours.lateEvent} (ms, median)`, official: official.late, ours: ours.late, 'ours/official': +(ours.late / official.late).toFixed(2) },
  { metric: 'RSS per 1,000 idle cached runs (MiB, after GC)', official: mb(official.rssPer1000), ours: mb(ours.rssPer1000), 'ours/official': +(ours.rssPer1000 / official.rssPer1000).toFixed(2) },
  { metric: 'worker RSS before idle runs (MiB)', official: mb(official.rssBase), ours: mb(ours.rssBase), 'ours/official': +(ours.rssBase / official.rssBase).toFixed(2) },
]);
await close();
await server.stop();
process.exit(0);
