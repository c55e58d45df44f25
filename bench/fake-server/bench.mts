/**
 * Worker-bound throughput: our worker and the official `@temporalio/worker` 1.24 against a fake
 * WorkflowService that hands out tasks as fast as they are polled and checks every answer, so
 * the worker, not the server, sets the pace. Each worker runs alone in its own process pinned to
 * core 1 (`taskset`), the fake in this process on core 0.
 *
 *   npm run bench:fake-server
 *     BENCH_ROUNDS (3)     rounds per worker and configuration; medians are reported
 *     BENCH_WINDOW_MS (8000) measuring window, after BENCH_WARMUP_MS (5000) of warm-up
 *     BENCH_MODES (activities,workflows); BENCH_VERBOSE=1 prints each measurement
 *     BENCH_WORKERS (official,ours,ours-http2: ours with `transport: 'http2'`); BENCH_CONFIGS (all: 0,1,2); BENCH_CPU_PROF=<dir> writes each worker's --cpu-prof there
 *
 * Activities: a no-op `echo` activity (returns its argument). Workflow tasks: `oneActivity` runs,
 * two workflow tasks each (see ./workflow-runs.ts). Each worker is tried with the same
 * concurrency options (official names) and the best configuration of each is compared. Exits 1 if
 * the fake saw any wrong answer.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { randomUUID } from 'node:crypto';
import { median, report } from '../support.js';
import { FakeWorkflowService, type FakeMode } from './fake-workflow-service.js';

type Kind = 'official' | 'ours' | 'ours-http2';
type Mode = Exclude<FakeMode, 'idle'>;

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 5_000);
const WINDOW_MS = Number(process.env.BENCH_WINDOW_MS ?? 8_000);
const VERBOSE = process.env.BENCH_VERBOSE === '1';
const MODES = (process.env.BENCH_MODES ?? 'activities,workflows').split(',') as Mode[];
const WORKERS = (process.env.BENCH_WORKERS ?? 'official,ours,ours-http2').split(',') as Kind[];
const CONFIG_PICK = process.env.BENCH_CONFIGS?.split(',').map(Number);

/** The same options for both workers, by their official names. */
const CONFIGS: Record<Mode, Record<string, number>[]> = {
  activities: [
    { maxConcurrentActivityTaskExecutions: 100, maxConcurrentActivityTaskPolls: 10 },
    { maxConcurrentActivityTaskExecutions: 100, maxConcurrentActivityTaskPolls: 4 },
    { maxConcurrentActivityTaskExecutions: 200, maxConcurrentActivityTaskPolls: 20 },
  ],
  workflows: [
    { maxConcurrentWorkflowTaskExecutions: 40, maxConcurrentWorkflowTaskPolls: 10, maxCachedWorkflows: 1000 },
    { maxConcurrentWorkflowTaskExecutions: 10, maxConcurrentWorkflowTaskPolls: 4, maxCachedWorkflows: 1000 },
    { maxConcurrentWorkflowTaskExecutions: 100, maxConcurrentWorkflowTaskPolls: 20, maxCachedWorkflows: 1000 },
  ],
};

const cores = Number(execFileSync('nproc').toString().trim());
const taskset = cores >= 2 && process.env.BENCH_PIN !== '0' && hasTaskset();
// The fake (and this driver) on core 0, the worker under test on core 1.
if (taskset) execFileSync('taskset', ['-a', '-cp', '0', String(process.pid)], { stdio: 'ignore' });
const clockTicks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** User + system CPU ms of a process, all its threads, from /proc. */
function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) return false;
    await sleep(20);
  }
  return true;
}

interface Sample {
  tasksPerSec: number;
  cpuMsPerTask: number;
  /** Worker CPU over the window ÷ wall time: 1.0 is one core busy. */
  workerCores: number;
  fakeCores: number;
}

const fake = await FakeWorkflowService.start();

async function measure(kind: Kind, mode: Mode, config: Record<string, number>): Promise<Sample> {
  const taskQueue = `fake-${mode}-${kind}-${randomUUID()}`;
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const node = [process.execPath, ...prof, '--import', 'tsx', 'bench/fake-server/worker-process.mts', kind, mode, fake.address, taskQueue, JSON.stringify(config)];
  const [cmd, ...args] = taskset ? ['taskset', '-c', '1', ...node] : node;
  const child = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((r) => child.once('exit', r));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  await Promise.race([
    new Promise<void>((resolve) => createInterface({ input: child.stdout! }).on('line', (line) => line === 'READY' && resolve())),
    exited.then((code) => Promise.reject(new Error(`${kind} worker exited ${code} before READY`))),
  ]);
  if (VERBOSE) console.error(`${mode} ${kind}: ready`);
  fake.setMode(mode);
  await sleep(WARMUP_MS);
  const a0 = fake.totals.accepted;
  const c0 = processCpuMs(child.pid!);
  const f0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(WINDOW_MS);
  const a1 = fake.totals.accepted;
  const c1 = processCpuMs(child.pid!);
  const f1 = process.cpuUsage(f0);
  const seconds = (performance.now() - t0) / 1000;
  fake.setMode('idle');
  // Let the tasks handed out finish before the worker stops, so shutdown cancels nothing.
  const drained = await until(() => fake.activities.outstanding === 0 && fake.runs.open === 0, 15_000);
  const stopAt = performance.now();
  if (VERBOSE) console.error(`${mode} ${kind}: window over, ${a1 - a0} tasks; drained ${drained}`);
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const code = await exited;
  clearTimeout(killer);
  process.off('exit', killOnExit);
  const tasks = a1 - a0;
  if (VERBOSE) console.error(`${mode} ${kind} ${JSON.stringify(config)}: ${tasks} tasks in ${seconds.toFixed(1)} s; drained ${drained} (outstanding ${fake.activities.outstanding} activities, ${fake.runs.open} runs); stopped in ${Math.round(performance.now() - stopAt)} ms (exit ${code}); calls ${JSON.stringify(Object.fromEntries(fake.calls))}`);
  return { tasksPerSec: tasks / seconds, cpuMsPerTask: (c1 - c0) / tasks, workerCores: (c1 - c0) / 1000 / seconds, fakeCores: (f1.user + f1.system) / 1e6 / seconds };
}

const rows: Record<string, string | number>[] = [];
const summary: Record<string, string | number>[] = [];
for (const mode of MODES) {
  const best: Partial<Record<Kind, { config: number; sample: Sample }>> = {};
  for (const [i, config] of CONFIGS[mode].entries()) {
    if (CONFIG_PICK && !CONFIG_PICK.includes(i)) continue;
    const samples: Record<Kind, Sample[]> = { official: [], ours: [], 'ours-http2': [] };
    for (let r = 0; r < ROUNDS; r++) {
      const order = r % 2 === 0 ? WORKERS : [...WORKERS].reverse();
      for (const kind of order) samples[kind].push(await measure(kind, mode, config));
    }
    for (const kind of WORKERS) {
      const s = samples[kind];
      const m: Sample = { tasksPerSec: median(s.map((x) => x.tasksPerSec)), cpuMsPerTask: median(s.map((x) => x.cpuMsPerTask)), workerCores: median(s.map((x) => x.workerCores)), fakeCores: median(s.map((x) => x.fakeCores)) };
      rows.push({
        mode,
        config: i,
        worker: kind,
        'tasks/s': Math.round(m.tasksPerSec),
        'CPU ms/task': +m.cpuMsPerTask.toFixed(3),
        'worker cores': +m.workerCores.toFixed(2),
        'fake cores': +m.fakeCores.toFixed(2),
        rounds: s.map((x) => Math.round(x.tasksPerSec)).join(' '),
      });
      if (!best[kind] || m.tasksPerSec > best[kind].sample.tasksPerSec) best[kind] = { config: i, sample: m };
    }
  }
  const o = best.official;
  for (const kind of ['ours', 'ours-http2'] as const) {
    const u = best[kind];
    if (!o || !u) continue;
    const via = kind === 'ours-http2' ? ", ours with transport 'http2'" : '';
    summary.push(
      // Metric names as bench/summary.mts matches them to issue 11's goals (throughput rows only).
      { metric: `${mode === 'activities' ? 'activities/s' : 'workflow tasks/s (WFT)'}${via}`, official: Math.round(o.sample.tasksPerSec), ours: Math.round(u.sample.tasksPerSec), 'ours/official': +(u.sample.tasksPerSec / o.sample.tasksPerSec).toFixed(2), configs: `${o.config} / ${u.config}` },
      { metric: `worker CPU ms per task, ${mode === 'activities' ? 'no-op' : 'one-activity runs'}${via}`, official: +o.sample.cpuMsPerTask.toFixed(3), ours: +u.sample.cpuMsPerTask.toFixed(3), 'ours/official': +(u.sample.cpuMsPerTask / o.sample.cpuMsPerTask).toFixed(2), configs: `${o.config} / ${u.config}` },
    );
  }
}

console.log('\nconfigurations:');
for (const mode of MODES) CONFIGS[mode].forEach((c, i) => console.log(`  ${mode} ${i}: ${JSON.stringify(c)}`));
console.log(`pinned: ${taskset ? 'fake on core 0, worker on core 1' : 'no (taskset unavailable or 1 core)'}; window ${WINDOW_MS} ms after ${WARMUP_MS} ms warm-up; ${ROUNDS} rounds`);
report('fake server: each worker and configuration (medians)', rows);
report('fake server: best configuration of each worker', summary);
const { mismatches } = fake.totals;
console.log(`answers checked: ${fake.totals.accepted}, mismatches: ${mismatches}; sticky tasks moved to the normal queue: ${fake.runs.stickyFallbacks}`);
for (const m of [...fake.activities.checks.examples, ...fake.runs.checks.examples]) console.log(`  mismatch ${m.kind}: ${m.detail}`);
if (fake.unknownMethods.size) console.log(`unimplemented methods called: ${JSON.stringify(Object.fromEntries(fake.unknownMethods))}`);
console.log(`calls: ${JSON.stringify(Object.fromEntries(fake.calls))}`);
await fake.close();
process.exit(mismatches > 0 ? 1 : 0);
