/**
 * RSS of N idle cached runs in one sandbox thread, per isolation mode. Not a test: run it by hand,
 *   npx tsx test/unit/sandbox/measure-idle-rss.mts [runs=1000]
 * Each mode runs in its own child process, so that one mode's heap does not colour the other.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '../sandbox/bundler.js';
import { WorkflowSandbox } from '../sandbox/workflow-sandbox.js';
import type { SandboxIsolation } from '../sandbox/protocol.js';
import { activation, RUN_INFO, startActivation } from '../test/unit/sandbox/activations.js';

const mib = (bytes: number) => bytes / 2 ** 20;

async function measure(isolation: SandboxIsolation, runs: number): Promise<void> {
  const bundle = await bundleWorkflowCode({ workflowsPath: path.resolve('test/fixtures/workflows/index.ts') });
  const sandbox = await WorkflowSandbox.create({ isolation, threads: 1 });
  sandbox.registerBundle(bundle);
  const send = (runId: string, bytes: Uint8Array) => sandbox.activate({ runId, bundleId: bundle.id, activation: bytes, info: RUN_INFO });
  const query = (runId: string) => activation(runId, [{ queryWorkflow: { queryId: 'q', queryType: 'state', arguments: [] } }]);
  // Warm-up: the context (shared mode) and the thread's code exist before the baseline.
  for (let i = 0; i < 20; i++) await send(`warm-${i}`, startActivation(`warm-${i}`, 'collector'));
  for (let i = 0; i < 20; i++) await sandbox.evict(`warm-${i}`);
  await new Promise((r) => setTimeout(r, 500));
  const before = process.memoryUsage.rss();
  let started = performance.now();
  for (let i = 0; i < runs; i++) await send(`idle-${i}`, startActivation(`idle-${i}`, 'collector'));
  const createMs = (performance.now() - started) / runs;
  started = performance.now();
  for (let i = 0; i < runs; i++) await send(`idle-${i}`, query(`idle-${i}`));
  const queryMs = (performance.now() - started) / runs;
  await new Promise((r) => setTimeout(r, 500));
  const after = process.memoryUsage.rss();
  console.log(JSON.stringify({ isolation, runs, rssBeforeMiB: +mib(before).toFixed(1), rssAfterMiB: +mib(after).toFixed(1), perThousandMiB: +((mib(after - before) / runs) * 1000).toFixed(1), createMsPerRun: +createMs.toFixed(2), queryMsPerRun: +queryMs.toFixed(2) }));
  await sandbox.close();
}

const [mode, count] = process.argv.slice(2);
const runs = Number(count ?? mode ?? 1000) || 1000;
if (mode === 'shared-context' || mode === 'context-per-run') {
  await measure(mode, runs);
} else {
  const self = fileURLToPath(import.meta.url);
  for (const isolation of ['context-per-run', 'shared-context']) {
    process.stdout.write(execFileSync(process.execPath, ['--import', 'tsx', self, isolation, String(runs)], { encoding: 'utf8' }));
  }
}
