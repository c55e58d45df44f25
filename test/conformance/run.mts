/**
 * `npm run conformance -- /path/to/temporalio/features [--only pattern] [--worker ours|official|both]`
 *
 * Runs the TypeScript features of Temporal's cross-SDK feature suite with the official
 * `@temporalio/worker` and with our runtime standing in for it, against the same dev servers, and
 * prints a table of both (see docs/conformance.md). Everything but the worker is the harness's own
 * code, loaded from the suite path given; nothing of the suite is copied into this repo.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { TemporalDevServer } from '../../core/dev-server/temporal-dev-server.js';
import { parseRunnerArgs, USAGE, type RunnerArgs } from './args.js';
import { createsOwnOfficialWorker, discoverFeatures, matchesPatterns } from './discovery.js';
import { parseDynamicConfigYaml } from './dynamic-config.js';
import { forkFeature } from './fork-feature.js';
import { HttpConnectProxy } from './http-connect-proxy.js';
import { capabilityMismatches, namespaceCapabilities } from './namespace-capabilities.js';
import { planBatches, taskQueueFor, type PlannedFeature, type RunBatch } from './plan.js';
import { causeOf, countsFor, failuresByCause, formatCounts, formatTable, summarize, type FeatureRunResult, type WorkerKind } from './results.js';
import { missingDependenciesMessage, prepareSuite, type SuiteBuild } from './suite-build.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

interface BatchServer {
  readonly address: string;
  readonly namespace: string;
  stop(): Promise<void>;
}

/** A fresh dev server with the batch's dynamic config, or `TEMPORAL_ADDRESS` for the default batch. */
async function serverFor(batch: RunBatch): Promise<BatchServer | string> {
  const external = process.env.TEMPORAL_ADDRESS;
  if (external) {
    if (batch.label !== 'default') return `run variant ${batch.label} needs a dev server of its own (dynamic config ${JSON.stringify(batch.dynamicConfig)}), and TEMPORAL_ADDRESS was given`;
    return { address: external, namespace: process.env.TEMPORAL_NAMESPACE ?? 'default', stop: async () => undefined };
  }
  // As the Go runner's dev server: the suite's dynamic config only (none of our test defaults), a random namespace, no extra search attributes.
  const namespace = `features-ns-${randomUUID()}`;
  const server = await TemporalDevServer.start({ namespaces: [namespace], searchAttributes: {}, dynamicConfig: batch.dynamicConfig, installDir: path.join(repoRoot, '.temporal') });
  return { address: server.address, namespace, stop: () => server.stop() };
}

function logPathFor(build: SuiteBuild, feature: PlannedFeature, worker: WorkerKind): string {
  const name = [feature.dir.replaceAll('/', '__'), ...(feature.variant ? [feature.variant] : []), worker].join('--');
  return path.join(build.buildDir, 'logs', `${name}.log`);
}

async function runOne(
  args: RunnerArgs,
  build: SuiteBuild,
  batch: RunBatch,
  server: BatchServer,
  proxy: HttpConnectProxy | undefined,
  feature: PlannedFeature,
  worker: WorkerKind,
): Promise<FeatureRunResult> {
  const base = { feature: feature.dir, ...(feature.variant && { variant: feature.variant }), worker };
  const source = await readFile(path.join(build.suiteRoot, 'features', feature.dir, 'feature.ts'), 'utf8');
  if (worker === 'ours' && createsOwnOfficialWorker(source)) {
    return { ...base, outcome: 'not-run', durationMs: 0, error: 'the feature creates its own @temporalio/worker Worker (Worker.create), so it tests the official worker whatever the runner gives it' };
  }
  const started = Date.now();
  const before = proxy && { unauthed: proxy.unauthedTunnels, authed: proxy.authedTunnels };
  const logPath = logPathFor(build, feature, worker);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPO_CONFORMANCE_HARNESS: build.harnessPath,
    // tsx would otherwise read the suite's tsconfig (the child's cwd), and our code needs ours (decorators).
    TSX_TSCONFIG_PATH: path.join(repoRoot, 'tsconfig.json'),
    ...(batch.capabilities && { FEATURE_NAMESPACE_CAPABILITIES: JSON.stringify(batch.capabilities) }),
    ...(worker === 'dropin' && { TEMPO_CONFORMANCE_WORKER_MODULE: fileURLToPath(new URL('./dropin-worker-module.ts', import.meta.url)) }),
  };
  const result = await forkFeature(
    {
      worker,
      feature: feature.dir,
      featuresDir: build.featuresDir,
      harnessPath: build.harnessPath,
      activityInterceptorsPath: build.activityInterceptorsPath,
      address: server.address,
      namespace: server.namespace,
      taskQueue: taskQueueFor(feature.dir, feature.variant, worker),
      proxyUrl: proxy?.url,
    },
    { cwd: build.buildDir, env, logPath, timeoutMs: args.timeoutMs, resolveHookPath: build.resolveHookPath },
  );
  let { outcome, error } = result;
  if (outcome === 'pass' && feature.expectProxy && proxy && before) {
    const got = { unauthed: proxy.unauthedTunnels - before.unauthed, authed: proxy.authedTunnels - before.authed };
    if (got.unauthed !== feature.expectProxy.unauthed || got.authed !== feature.expectProxy.authed) {
      outcome = 'fail';
      error = `expected ${feature.expectProxy.unauthed} unauthed and ${feature.expectProxy.authed} authed HTTP proxy tunnels, got ${got.unauthed} and ${got.authed}`;
    }
  }
  return { ...base, outcome, ...(error && { error }), ...(result.stack && { stack: result.stack }), durationMs: Date.now() - started, ...(result.workflowTaskFailures && { workflowTaskFailures: result.workflowTaskFailures }),
    ...(result.notPassed?.length && { notPassed: result.notPassed }),
    ...(result.notes?.length && { notes: result.notes }),
    log: logPath,
  };
}

async function runBatch(args: RunnerArgs, build: SuiteBuild, batch: RunBatch, record: (r: FeatureRunResult) => void): Promise<void> {
  const notRun = (error: string) => {
    for (const feature of batch.features) for (const worker of args.workers) record({ feature: feature.dir, ...(feature.variant && { variant: feature.variant }), worker, outcome: 'not-run', error, durationMs: 0 });
  };
  console.log(`\n== batch ${batch.label}: ${batch.features.length} feature(s)`);
  const server = await serverFor(batch);
  if (typeof server === 'string') return notRun(server);
  const proxy = batch.needsProxy ? await HttpConnectProxy.start() : undefined;
  try {
    if (batch.capabilities) {
      const mismatches = capabilityMismatches(batch.capabilities, await namespaceCapabilities(server.address, server.namespace));
      if (mismatches.length) return notRun(`the server does not match the variant: ${mismatches.join('; ')}`);
    }
    for (const feature of batch.features) {
      for (const worker of args.workers) record(await runOne(args, build, batch, server, proxy, feature, worker));
    }
  } finally {
    await proxy?.close();
    await server.stop();
  }
}

function suiteCommit(suiteRoot: string): string {
  try {
    return execFileSync('git', ['-C', suiteRoot, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown (not a git checkout)';
  }
}

async function main(): Promise<void> {
  let args: RunnerArgs;
  try {
    args = parseRunnerArgs(process.argv.slice(2));
  } catch (err) {
    console.error((err as Error).message);
    process.exitCode = 2;
    return;
  }
  const suiteRoot = path.resolve(args.suiteRoot);
  if (!existsSync(suiteRoot)) throw new Error(`no such directory: ${suiteRoot}\n${USAGE}`);
  const build = await prepareSuite(suiteRoot, repoRoot, args.buildName);
  if (build.missing.length) console.warn(missingDependenciesMessage(suiteRoot, build.missing));
  await mkdir(path.join(build.buildDir, 'logs'), { recursive: true });
  const features = (await discoverFeatures(suiteRoot)).filter((f) => matchesPatterns(f.dir, args.only));
  if (features.length === 0) throw new Error(`no TypeScript feature matches ${args.only.join(', ')}`);
  const baseConfig = parseDynamicConfigYaml(await readFile(path.join(suiteRoot, 'dockerfiles', 'dynamicconfig', 'docker.yaml'), 'utf8'));
  const batches = planBatches(features, baseConfig);

  const results: FeatureRunResult[] = [];
  const record = (r: FeatureRunResult) => {
    results.push(r);
    const where = r.variant ? `${r.feature} [${r.variant}]` : r.feature;
    const why = r.error ? `  ${causeOf(r.error)}${r.workflowTaskFailures ? ` [task: ${r.workflowTaskFailures.join('; ')}]` : ''}` : '';
    const notes = r.notes ? `  (${r.notes.join('; ')})` : '';
    console.log(`${r.outcome.padEnd(7)} ${r.worker.padEnd(8)} ${where}${why.slice(0, 400)}${notes}`);
  };
  const startedAt = new Date();
  for (const batch of batches) await runBatch(args, build, batch, record);

  const rows = summarize(results);
  console.log(`\n${formatTable(rows, args.workers)}\n\n${formatCounts(results, args.workers)}`);
  for (const worker of args.workers) {
    const groups = failuresByCause(results, worker);
    if (!groups.length) continue;
    console.log(`\nfailures on ${worker}, by cause:`);
    for (const g of groups) console.log(`  ${g.features.length}× ${g.cause}\n     ${g.features.join(', ')}`);
  }
  const jsonPath = path.resolve(args.jsonPath ?? path.join(build.buildDir, 'results.json'));
  const report = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    suite: { root: suiteRoot, commit: suiteCommit(suiteRoot) },
    command: `npm run conformance -- ${process.argv.slice(2).join(' ')}`,
    counts: Object.fromEntries(args.workers.map((w) => [w, countsFor(results, w)])),
    results,
  };
  await writeFile(jsonPath, JSON.stringify(report, null, 2));
  console.log(`\nresults: ${jsonPath}\nlogs: ${path.join(build.buildDir, 'logs')}`);
}

await main();
