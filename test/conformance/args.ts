/** The command line of `npm run conformance`. */
import { parseArgs } from 'node:util';
import type { WorkerKind } from './results.js';

export const USAGE = `usage: npm run conformance -- <path-to-temporalio-features> [options]

  --only <pattern>     run only matching features (repeatable, or comma-separated); a glob on the
                       feature's directory (update/*, data_converter/binary) or a prefix (update)
  --worker <which>     ours | official | both (default both)
  --json <file>        where to write the results (default <suite>/program-tempo-conformance/results.json)
  --timeout-ms <n>     per feature and worker, after which the run is killed and failed (default 180000)

TEMPORAL_ADDRESS=host:port runs the default batch on that server (namespace TEMPORAL_NAMESPACE or
"default"); run variants always need a dev server of their own and are then reported as not run.`;

export interface RunnerArgs {
  readonly suiteRoot: string;
  readonly only: readonly string[];
  readonly workers: readonly WorkerKind[];
  readonly jsonPath?: string;
  readonly timeoutMs: number;
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
    },
  });
  if (positionals.length !== 1) throw new Error(`expected one path to the features suite, got ${positionals.length}\n${USAGE}`);
  const worker = values.worker ?? 'both';
  if (worker !== 'ours' && worker !== 'official' && worker !== 'both') throw new Error(`--worker must be ours, official or both, got ${worker}`);
  const timeoutMs = values['timeout-ms'] === undefined ? 180_000 : Number(values['timeout-ms']);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new Error(`--timeout-ms must be a positive integer, got ${values['timeout-ms']}`);
  return {
    suiteRoot: positionals[0],
    only: (values.only ?? []).flatMap((p) => p.split(',')).map((p) => p.trim()).filter(Boolean),
    workers: worker === 'both' ? ['official', 'ours'] : [worker],
    jsonPath: values.json,
    timeoutMs,
  };
}
