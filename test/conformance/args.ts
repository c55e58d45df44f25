/** The command line of `npm run conformance`. */
import { parseArgs } from 'node:util';
import type { WorkerKind } from './results.js';
import { BUILD_DIR_NAME } from './suite-build.js';

export const USAGE = `usage: npm run conformance -- <path-to-temporalio-features> [options]

  --only <pattern>     run only matching features (repeatable, or comma-separated); a glob on the
                       feature's directory (update/*, data_converter/binary) or a prefix (update)
  --worker <which>     official | ours | dropin | both (official + ours, the default) | all,
                       or a comma-separated list (ours,dropin)
                       (ours: our WorkerEntity given the feature's options by this runner;
                       dropin: the harness unchanged, @temporalio/worker replaced by our compat/ facade)
  --json <file>        where to write the results (default <suite>/<build-name>/results.json)
  --build-name <name>  the directory under the suite that holds the compiled suite, logs and results
                       (default program-tempo-conformance; give concurrent runs different names)
  --timeout-ms <n>     per feature and worker, after which the run is killed and failed (default 180000)

TEMPORAL_ADDRESS=host:port runs the default batch on that server (namespace TEMPORAL_NAMESPACE or
"default"); run variants always need a dev server of their own and are then reported as not run.`;

const WORKER_CHOICES: Readonly<Record<string, readonly WorkerKind[]>> = {
  official: ['official'],
  ours: ['ours'],
  dropin: ['dropin'],
  both: ['official', 'ours'],
  all: ['official', 'ours', 'dropin'],
};

export interface RunnerArgs {
  readonly suiteRoot: string;
  readonly only: readonly string[];
  readonly workers: readonly WorkerKind[];
  readonly jsonPath?: string;
  readonly timeoutMs: number;
  readonly buildName: string;
}

export function parseRunnerArgs(argv: readonly string[]): RunnerArgs {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      only: { type: 'string', multiple: true },
      worker: { type: 'string' },
      json: { type: 'string' },
      'timeout-ms': { type: 'string' },
      'build-name': { type: 'string' },
    },
  });
  if (positionals.length !== 1) throw new Error(`expected one path to the features suite, got ${positionals.length}\n${USAGE}`);
  const worker = values.worker ?? 'both';
  const workers = [
    ...new Set(
      worker.split(',').flatMap((w) => {
        const kinds = WORKER_CHOICES[w.trim()];
        if (!kinds) throw new Error(`--worker must be one of ${Object.keys(WORKER_CHOICES).join(', ')} (or a comma-separated list), got ${w}`);
        return kinds;
      }),
    ),
  ];
  const timeoutMs = values['timeout-ms'] === undefined ? 180_000 : Number(values['timeout-ms']);
  if (values['build-name'] !== undefined && !/^[\w.-]+$/.test(values['build-name'])) throw new Error(`--build-name must be a plain directory name, got ${values['build-name']}`);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new Error(`--timeout-ms must be a positive integer, got ${values['timeout-ms']}`);
  return {
    suiteRoot: positionals[0],
    only: (values.only ?? []).flatMap((p) => p.split(',')).map((p) => p.trim()).filter(Boolean),
    workers,
    jsonPath: values.json,
    timeoutMs,
    buildName: values['build-name'] ?? BUILD_DIR_NAME,
  };
}
