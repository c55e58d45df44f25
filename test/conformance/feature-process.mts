/**
 * Runs one feature on one worker, in a process of its own (forked by run.mts), and sends back a
 * {@link FeatureProcessResult}. A process per run keeps the official worker's process-wide
 * `Runtime`, a crashed or hung worker and leftover handles from leaking into the next feature.
 *
 * The official run is the harness's `main.ts` loop body for one feature: `Runtime.install` with a
 * WARN logger, `Runner.create`, `run()`, `close()`.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { describeError } from './describe-error.js';
import { taskQueueFailures } from './history-diagnosis.js';
import type { HarnessModule, HarnessRunner } from './harness-types.js';
import type { WorkerKind } from './results.js';

export interface FeatureJob {
  readonly worker: WorkerKind;
  readonly feature: string;
  readonly featuresDir: string;
  readonly harnessPath: string;
  readonly activityInterceptorsPath: string;
  readonly address: string;
  readonly namespace: string;
  readonly taskQueue: string;
  readonly proxyUrl?: string;
}

export interface FeatureProcessResult {
  readonly outcome: 'pass' | 'fail';
  readonly error?: string;
  readonly stack?: string;
  readonly notPassed?: readonly string[];
  readonly notes?: readonly string[];
  readonly workflowTaskFailures?: readonly string[];
}

const require = createRequire(import.meta.url);
// Which process harness-resolve.ts gives our facade for `@temporalio/worker` in a dropin run.
process.env.TEMPO_CONFORMANCE_FEATURE_PID = String(process.pid);

async function createRunner(job: FeatureJob, report: { notPassed: string[]; notes: string[] }): Promise<HarnessRunner> {
  const harness = require(job.harnessPath) as HarnessModule;
  const source = new harness.FeatureSource(job.feature, path.join(job.featuresDir, job.feature));
  const options = { address: job.address, namespace: job.namespace, proxyUrl: job.proxyUrl, taskQueue: job.taskQueue };
  if (job.worker === 'official') {
    const { Runtime, DefaultLogger } = await import('@temporalio/worker');
    Runtime.install({ logger: new DefaultLogger('WARN') });
    const { timeOfficialShutdowns } = await import('./official-shutdown-timing.js');
    timeOfficialShutdowns((ms) => report.notes.push(`the official worker's shutdown took ${ms} ms`));
    return harness.Runner.create(source, options);
  }
  // The harness's `require('@temporalio/worker')` already gave it our facade (harness-resolve.ts).
  if (job.worker === 'dropin') return harness.Runner.create(source, options);
  const { createOursRunner } = await import('./ours-runner.js');
  return createOursRunner(harness, job.activityInterceptorsPath, source, options, report);
}

async function runJob(job: FeatureJob): Promise<FeatureProcessResult> {
  const report = { notPassed: [] as string[], notes: [] as string[] };
  let runner: HarnessRunner | undefined;
  let failure: unknown;
  try {
    runner = await createRunner(job, report);
    await runner.run();
  } catch (err) {
    failure = err;
  }
  try {
    await runner?.close();
  } catch (err) {
    failure ??= new Error(`the run passed, but closing the runner failed: ${describeError(err)}`, { cause: err });
  }
  const extra = { ...(job.worker === 'ours' && { notPassed: report.notPassed }), ...(report.notes.length && { notes: report.notes }) };
  if (failure === undefined) return { outcome: 'pass', ...extra };
  const workflowTaskFailures = await Promise.race([
    taskQueueFailures(job.address, job.namespace, job.taskQueue),
    new Promise<string[]>((resolve) => setTimeout(() => resolve([]), 15_000).unref()),
  ]);
  return {
    outcome: 'fail',
    error: describeError(failure),
    stack: failure instanceof Error ? failure.stack : undefined,
    ...(workflowTaskFailures.length && { workflowTaskFailures }),
    ...extra,
  };
}

// The runner went away (killed, or Ctrl-C): stop too, rather than keep a worker polling.
process.once('disconnect', () => process.exit(1));
const job = JSON.parse(process.argv[2] ?? '{}') as FeatureJob;
const result = await runJob(job).catch((err: unknown): FeatureProcessResult => ({ outcome: 'fail', error: `runner error: ${describeError(err)}` }));
process.send?.(result, () => process.exit(0));
if (!process.send) {
  console.log(JSON.stringify(result));
  process.exit(0);
}
