/** Forks feature-process.mts for one job, with its output in a log file and a deadline. */
import { fork } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import type { FeatureJob, FeatureProcessResult } from './feature-process.mjs';

export interface ForkOptions {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly logPath: string;
  readonly timeoutMs: number;
  /** The compiled harness-resolve hook (see suite-build.ts). */
  readonly resolveHookPath: string;
}

const entry = new URL('./feature-process.mts', import.meta.url);
const tsx = import.meta.resolve('tsx');

export function forkFeature(job: FeatureJob, opts: ForkOptions): Promise<FeatureProcessResult> {
  const log = openSync(opts.logPath, 'w');
  // tsx for our TypeScript. The hook for `@temporalio/harness` goes in NODE_OPTIONS, which every
  // worker thread applies even when it is started with `execArgv: []`, as our sandbox threads
  // are (the official worker's threads inherit execArgv, where the suite's Go runner puts its
  // `-r tsconfig-paths/register`): the harness's workflow interceptor module requires the name
  // from inside a sandbox thread.
  const execArgv = ['--import', tsx];
  const nodeOptions = [opts.env.NODE_OPTIONS, `--require ${JSON.stringify(opts.resolveHookPath)}`].filter(Boolean).join(' ');
  const child = fork(entry, [JSON.stringify(job)], { cwd: opts.cwd, env: { ...opts.env, NODE_OPTIONS: nodeOptions }, execArgv, stdio: ['ignore', log, log, 'ipc'] });
  return new Promise<FeatureProcessResult>((resolve) => {
    let result: FeatureProcessResult | undefined;
    const timer = setTimeout(() => {
      result ??= { outcome: 'fail', error: `timed out after ${opts.timeoutMs} ms (the runner killed it); see ${opts.logPath}` };
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    child.on('message', (message) => {
      result ??= message as FeatureProcessResult;
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      closeSync(log);
      resolve(result ?? { outcome: 'fail', error: `the feature process exited (${signal ?? `code ${code}`}) without a result; see ${opts.logPath}` });
    });
  });
}
