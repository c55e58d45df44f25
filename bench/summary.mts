/**
 * `npm run bench`: every benchmark, one after the other against one server (a dev server started
 * here, or TEMPORAL_ADDRESS), then one table of every ours/official ratio beside issue 11's goals,
 * and the same as one JSON line. Each benchmark still prints its own tables as it runs.
 *
 * `BENCH_ONLY=activities,workflows` picks benchmarks; `BENCH_WITH_DRAIN=1` adds the long
 * drain-under-load benchmark (20 rounds by default).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { benchServer } from './support.js';

interface ReportLine {
  title: string;
  rows: Record<string, string | number>[];
}
interface Ratio {
  bench: string;
  metric: string;
  official?: number | string;
  ours?: number | string;
  ratio: number;
}

/** Issue 11's goals, by what a metric's name says (ours/official unless `absolute`). */
const GOALS: Array<{ bench?: string; match: RegExp; goal: string; met: (r: number) => boolean }> = [
  { bench: 'fake-server', match: /^activities\/s/i, goal: '≥ 2', met: (r) => r >= 2 },
  { bench: 'fake-server', match: /^workflow tasks\/s/i, goal: '≥ 1.5', met: (r) => r >= 1.5 },
  { match: /CPU per workflow/i, goal: '≤ 0.7', met: (r) => r <= 0.7 },
  { match: /CPU per activity/i, goal: '≤ 0.5', met: (r) => r <= 0.5 },
  { match: /process start/i, goal: '≤ 0.25', met: (r) => r <= 0.25 },
  // Item 5: no per-run overhead over the official worker, start to shutdown.
  { bench: 'per-run', match: /^total$/, goal: '≤ 1', met: (r) => r <= 1 },
];

const DEFAULT_BENCHES = ['fake-server', 'activities', 'workflows', 'updates', 'control', 'per-run'];

const pkg = JSON.parse(readFileSync(path.resolve('package.json'), 'utf8')) as { scripts: Record<string, string> };
const wanted = process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(',').map((s) => s.trim()) : [...DEFAULT_BENCHES, ...(process.env.BENCH_WITH_DRAIN ? ['drain'] : [])];
const benches = wanted.filter((b) => {
  if (pkg.scripts[`bench:${b}`]) return true;
  console.error(`bench/summary: no script bench:${b}, skipped`);
  return false;
});

const server = await benchServer();
const dir = mkdtempSync(path.join(tmpdir(), 'bench-summary-'));
const ratios: Ratio[] = [];
const failed: string[] = [];
const loadBefore = loadavg()[0]!;
try {
  for (const bench of benches) {
    const file = path.join(dir, `${bench}.jsonl`);
    console.log(`\n# npm run bench:${bench}`);
    const code = await new Promise<number>((resolve) => {
      const child = spawn('npm', ['run', '--silent', `bench:${bench}`], { stdio: 'inherit', env: { ...process.env, TEMPORAL_ADDRESS: server.address, BENCH_RESULTS: file } });
      child.once('exit', (c) => resolve(c ?? 1));
    });
    if (code !== 0) failed.push(`${bench} (exit ${code})`);
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n').filter(Boolean)) ratios.push(...ratiosOf(bench, JSON.parse(line) as ReportLine));
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
  await server.stop();
}

const table = ratios.map((r) => {
  const goal = GOALS.find((g) => (!g.bench || g.bench === r.bench) && g.match.test(r.metric));
  return { bench: r.bench, metric: r.metric, official: r.official ?? '', ours: r.ours ?? '', 'ours/official': r.ratio, goal: goal?.goal ?? '', met: goal ? (goal.met(r.ratio) ? 'yes' : 'no') : '' };
});
console.log(`\n## Summary: ours/official, every benchmark (${new Date().toISOString()}, load average ${loadBefore.toFixed(1)} → ${loadavg()[0]!.toFixed(1)})`);
console.table(table);
console.log(JSON.stringify({ title: 'summary', date: new Date().toISOString(), load: [loadBefore, loadavg()[0]], rows: table, failed }));
if (failed.length) {
  console.error(`bench/summary: failed: ${failed.join(', ')}`);
  process.exit(1);
}

/**
 * The ratios in one report: rows with an `ours/official` column (metric tables), or `side`
 * rows (`official`, `ours`, `ratio ours/official…`) whose first numeric column is the figure.
 */
function ratiosOf(bench: string, line: ReportLine): Ratio[] {
  const out: Ratio[] = [];
  for (const row of line.rows) {
    const ratio = row['ours/official'];
    if (typeof ratio === 'number') out.push({ bench, metric: String(row.metric ?? row.phase ?? line.title), official: row.official, ours: row.ours, ratio });
  }
  if (out.length) return out;
  const bySide = (side: string) => line.rows.find((r) => r.side === side);
  const ratioRow = line.rows.find((r) => typeof r.side === 'string' && r.side.startsWith('ratio ours/official'));
  if (!ratioRow) return out;
  const key = Object.keys(ratioRow).find((k) => k !== 'side' && typeof ratioRow[k] === 'number');
  if (!key) return out;
  out.push({ bench, metric: `${line.title}: ${key}`, official: bySide('official')?.[key], ours: bySide('ours')?.[key], ratio: ratioRow[key] as number });
  return out;
}
