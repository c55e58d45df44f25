import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Client, Connection as ClientConnection } from '@temporalio/client';
import { TemporalDevServer } from '../core/dev-server/temporal-dev-server.js';

/** The server every benchmark in a run shares: TEMPORAL_ADDRESS, or a dev server we start. */
export async function benchServer(): Promise<{ address: string; stop: () => Promise<void> }> {
  if (process.env.TEMPORAL_ADDRESS) return { address: process.env.TEMPORAL_ADDRESS, stop: async () => undefined };
  const server = await TemporalDevServer.start();
  return { address: server.address, stop: () => server.stop() };
}

export async function benchClient(address: string): Promise<{ client: Client; close: () => Promise<void> }> {
  const connection = await ClientConnection.connect({ address });
  return { client: new Client({ connection, namespace: 'default' }), close: () => connection.close() };
}

/**
 * Prints a table of rows and a JSON line for machines; with `BENCH_RESULTS` set (by
 * `npm run bench`, bench/summary.mts) also appends that line to the file it names.
 */
export function report(title: string, rows: Record<string, string | number>[]): void {
  console.log(`\n## ${title}`);
  console.table(rows);
  const line = JSON.stringify({ title, rows });
  console.log(line);
  if (process.env.BENCH_RESULTS) appendFileSync(process.env.BENCH_RESULTS, `${line}\n`);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/**
 * Measures both workers `rounds` times, alternating which goes first so neither always meets a
 * warmer server; returns the median of every field per worker.
 */
export async function compareRounds<M extends Record<string, number>>(rounds: number, measure: (kind: 'official' | 'ours') => Promise<M>): Promise<{ official: M; ours: M }> {
  const runs: Record<'official' | 'ours', M[]> = { official: [], ours: [] };
  for (let r = 0; r < rounds; r++) {
    for (const kind of r % 2 === 0 ? (['official', 'ours'] as const) : (['ours', 'official'] as const)) runs[kind].push(await measure(kind));
  }
  const pick = (ms: M[]): M => Object.fromEntries(Object.keys(ms[0]!).map((k) => [k, median(ms.map((m) => m[k]!))])) as M;
  return { official: pick(runs.official), ours: pick(runs.ours) };
}

export interface WorkerProc {
  child: ChildProcess;
  /** RSS (bytes) after a full GC, and CPU time used so far (µs). */
  sample: () => Promise<{ rss: number; cpuUs: number }>;
  stop: () => Promise<void>;
}

/**
 * Starts bench/worker-process.mts: one worker (`ours` or `official`) in its own process, polling
 * `taskQueue` with the workflows at `workflowsPath` (default: the test fixtures).
 */
export async function startWorkerProcess(kind: string, taskQueue: string, address: string, workflowsPath?: string): Promise<WorkerProc> {
  // BENCH_CPU_PROF=<dir>: each worker process's --cpu-prof (one file per thread) goes there.
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const args = [...prof, '--expose-gc', '--import', 'tsx', 'bench/worker-process.mts', kind, taskQueue, address, ...(workflowsPath ? [workflowsPath] : [])];
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  let onSample: ((s: { rss: number; cpuUs: number }) => void) | undefined;
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${kind} worker exited ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line === 'READY') resolve();
      else if (line.startsWith('SAMPLE ')) {
        const [rss, cpuUs] = line.slice(7).split(' ').map(Number) as [number, number];
        onSample?.({ rss, cpuUs });
      }
    });
  });
  return {
    child,
    sample: () =>
      new Promise((resolve) => {
        onSample = resolve;
        child.stdin!.write('sample\n');
      }),
    stop: async () => {
      child.removeAllListeners('exit');
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
