/**
 * Workflow Update round-trip latency: the client's `executeUpdate` → its result, ours against the
 * official worker, each worker in its own process, against the same server, in one run.
 *
 *   npm run bench:updates     (BENCH_UPDATE_WORKFLOWS=4 BENCH_UPDATES=100 BENCH_ROUNDS=1 to change the load)
 *
 * Each of W workflows (the `updatable` fixture) receives U updates one after the other, the W
 * workflows at once: every update is a speculative workflow task on the worker's sticky queue,
 * validator and handler run, accept and complete sent in the same completion. Also timed: the
 * same for updates a validator rejects (the server discards their task), and CPU per update.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { benchClient, benchServer, compareRounds, report, startWorkerProcess } from './support.js';

const WORKFLOWS = Number(process.env.BENCH_UPDATE_WORKFLOWS ?? 4);
const UPDATES = Number(process.env.BENCH_UPDATES ?? 100);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1);
const workflowsPath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../test/fixtures/workflows/updates/index.ts');

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

/** Runs `send` `count` times one after the other; returns each round trip in ms. */
async function sequential(count: number, send: (i: number) => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await send(i);
    out.push(performance.now() - t0);
  }
  return out;
}

async function measure(kind: 'ours' | 'official', client: Client, address: string) {
  const taskQueue = `bench-upd-${kind}-${randomUUID()}`;
  const w = await startWorkerProcess(kind, taskQueue, address, workflowsPath);
  const handles = await Promise.all(
    Array.from({ length: WORKFLOWS }, (_, i) => client.workflow.start('updatable', { taskQueue, workflowId: `${taskQueue}-${i}`, args: [{}] })),
  );
  // Warm-up: first tasks done, bundle loaded, JIT.
  await Promise.all(handles.map((h) => sequential(10, () => h.executeUpdate('add', { args: [0] }))));

  const cpu0 = (await w.sample()).cpuUs;
  const accepted = (await Promise.all(handles.map((h) => sequential(UPDATES, () => h.executeUpdate('add', { args: [1] }))))).flat();
  const cpuMsPerUpdate = ((await w.sample()).cpuUs - cpu0) / 1000 / (UPDATES * WORKFLOWS);
  const reject = (h: (typeof handles)[number]) => h.executeUpdate('add', { args: [-1] }).then(
    () => {
      throw new Error('the validator accepted a negative number');
    },
    () => undefined,
  );
  const rejected = (await Promise.all(handles.map((h) => sequential(Math.ceil(UPDATES / 2), () => reject(h))))).flat();
  const totals = await Promise.all(handles.map((h) => h.executeUpdate('finish') as Promise<number>));
  if (totals.some((t) => t !== UPDATES)) throw new Error(`${kind}: totals ${totals.join(', ')}; expected ${UPDATES} each`);
  await w.stop();
  return { p50: pct(accepted, 0.5), p99: pct(accepted, 0.99), rejectP50: pct(rejected, 0.5), rejectP99: pct(rejected, 0.99), cpuMsPerUpdate };
}

const server = await benchServer();
const { client, close } = await benchClient(server.address);
const { official, ours } = await compareRounds(ROUNDS, (kind) => measure(kind, client, server.address));
type M = typeof ours;
const row = (metric: string, key: keyof M, digits = 1) => ({
  metric,
  official: +official[key].toFixed(digits),
  ours: +ours[key].toFixed(digits),
  'ours/official': +(ours[key] / official[key]).toFixed(2),
});
report(`updates (median of ${ROUNDS}): ${WORKFLOWS} workflows × ${UPDATES} sequential executeUpdate each, then ${Math.ceil(UPDATES / 2)} rejected each`, [
  row('update round trip p50 (ms)', 'p50'),
  row('update round trip p99 (ms)', 'p99'),
  row('rejected update round trip p50 (ms)', 'rejectP50'),
  row('rejected update round trip p99 (ms)', 'rejectP99'),
  row('worker CPU per update (ms)', 'cpuMsPerUpdate', 2),
]);
await close();
await server.stop();
process.exit(0);
