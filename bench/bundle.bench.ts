/**
 * Bundle time: our esbuild bundler against the official webpack one, for the same hello workflow.
 * Run with `npx tsx bench/bundle.bench.ts`. Ours is timed cold (first build in the process,
 * includes starting esbuild's service), rebuilt (cache bypassed) and from the memory cache.
 */
import path from 'node:path';
import { bundleWorkflowCode } from '../sandbox/bundler.js';

const workflowsPath = path.resolve('test/fixtures/workflows/sandbox/hello.ts');
const REBUILDS = 5;

async function time<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const started = performance.now();
  const result = await fn();
  return [performance.now() - started, result];
}

const [cold, bundle] = await time(() => bundleWorkflowCode({ workflowsPath }));
const rebuilds: number[] = [];
for (let i = 0; i < REBUILDS; i++) {
  // A distinct ignore list changes the cache key, forcing a real build.
  const [ms] = await time(() => bundleWorkflowCode({ workflowsPath, ignoreModules: [`bench-miss-${i}`] }));
  rebuilds.push(ms);
}
const [hit] = await time(() => bundleWorkflowCode({ workflowsPath }));

// Imported late: every module of @temporalio/worker loads the native core bridge.
const [officialLoad, official] = await time(() => import('@temporalio/worker'));
const [officialMs, officialBundle] = await time(() =>
  official.bundleWorkflowCode({ workflowsPath, logger: new official.DefaultLogger('WARN') }),
);

const kb = (text: string) => Math.round(text.length / 1024);
const median = [...rebuilds].sort((a, b) => a - b)[Math.floor(rebuilds.length / 2)] ?? NaN;
// Same output shape as the other benchmarks (bench/support.ts): a table, then a JSON line.
const rows = [
  { bundler: 'ours, cold (first build in process)', ms: Math.round(cold), kb: kb(bundle.code) },
  { bundler: `ours, rebuild (median of ${REBUILDS})`, ms: Math.round(median), kb: kb(bundle.code) },
  { bundler: 'ours, memory cache hit', ms: Number(hit.toFixed(1)), kb: kb(bundle.code) },
  { bundler: 'official, import @temporalio/worker', ms: Math.round(officialLoad), kb: 0 },
  { bundler: 'official, bundleWorkflowCode', ms: Math.round(officialMs), kb: kb(officialBundle.code) },
];
const title = `workflow bundle (hello): official/ours cold = ${(officialMs / cold).toFixed(1)}x`;
console.log(`\n## ${title}`);
console.table(rows);
console.log(JSON.stringify({ title, rows }));
