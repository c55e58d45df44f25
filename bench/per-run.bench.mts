/**
 * Per-run overhead, ours against the official worker, same server, same run: each sample is a
 * fresh process (bench/per-run-process.mts) that starts a runtime, adds a worker with the test
 * workflows, runs one one-activity workflow and shuts down; the phases are timed inside it
 * (module loading of the worker package included in "start runtime").
 *
 *   npm run bench:per-run      (BENCH_ROUNDS=5; TEMPORAL_ADDRESS to use a running server)
 */
import { spawn } from 'node:child_process';
import { benchServer, median, report } from './support.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const server = await benchServer();

function sample(kind: 'ours' | 'official'): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/per-run-process.mts', kind, server.address], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.once('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('PHASES '));
      if (line) resolve(JSON.parse(line.slice(7)) as Record<string, number>);
      else reject(new Error(`${kind} sample exited ${code} without PHASES: ${out}`));
    });
  });
}

const runs: Record<'ours' | 'official', Record<string, number>[]> = { ours: [], official: [] };
for (let r = 0; r < ROUNDS; r++) {
  for (const kind of r % 2 === 0 ? (['official', 'ours'] as const) : (['ours', 'official'] as const)) runs[kind].push(await sample(kind));
}
const phases = Object.keys(runs.ours[0]!);
report(`per run: start, add a worker with workflows, run one workflow, shut down (ms, median of ${ROUNDS}, each a fresh process)`, [
  ...phases.map((p) => {
    const o = median(runs.official.map((x) => x[p]!));
    const u = median(runs.ours.map((x) => x[p]!));
    return { phase: p, official: o, ours: u, 'ours − official': u - o, 'ours/official': +(u / o).toFixed(2) };
  }),
]);
await server.stop();
