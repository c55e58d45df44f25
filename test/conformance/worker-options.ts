/**
 * The official `WorkerOptions` a feature run would give `Worker.create`, turned into what our
 * `WorkerEntity` accepts. Options our entity does not take are listed, never dropped silently:
 * the report shows them next to the feature's outcome.
 *
 * An option is passed when the entity takes it under our name (the table below) or, as the
 * drop-in work (issue 10) adds official names to the entity's schema, under its official name;
 * `supported` is that schema's key set, so this mapping follows the runtime as it grows.
 */
import { builtinModules } from 'node:module';
import { msToNumber, type Duration } from '@temporalio/common';

/** The official options the harness and features use, loosely typed: they come from the suite. */
export type OfficialWorkerOptions = Readonly<Record<string, unknown>>;

/** An official activity inbound interceptor factory (`interceptors.activityInbound[i]`). */
export type ActivityInboundFactory = (ctx: unknown) => {
  execute?: (input: { args: unknown[]; headers: Record<string, unknown> }, next: (input: { args: unknown[]; headers: Record<string, unknown> }) => Promise<unknown>) => Promise<unknown>;
};

export interface MappedWorkerOptions {
  /** Fields for `new WorkerEntity(...)` (besides `taskQueue`, `activities`, `workflowsPath`). */
  readonly input: Record<string, unknown>;
  /** `interceptors.activityInbound`: our entity runs them through its `activityInvoke` hook. */
  readonly activityInbound: readonly ActivityInboundFactory[];
  /** Official option paths not given to our entity. */
  readonly notPassed: readonly string[];
}

/** Given by the runner itself, not options: the connection and the run's identity. */
const GIVEN_BY_RUNNER = new Set(['connection', 'namespace', 'taskQueue', 'workflowsPath', 'activities']);

type Converter = (value: unknown) => [string, unknown];
const ms = (ourName: string): Converter => (value) => [ourName, msToNumber(value as Duration)];
const same = (name: string): Converter => (value) => [name, value];

/** Official name → ours, where the meaning is the same. */
const RENAMED: Readonly<Record<string, Converter>> = {
  shutdownGraceTime: ms('drainGraceMs'),
  stickyQueueScheduleToStartTimeout: ms('stickyQueueScheduleToStartTimeoutMs'),
  identity: same('identity'),
  maxConcurrentActivityTaskExecutions: same('maxConcurrentActivityTaskExecutions'),
  maxConcurrentWorkflowTaskExecutions: same('maxConcurrentWorkflowTaskExecutions'),
  maxConcurrentActivityTaskPolls: same('maxConcurrentActivityTaskPolls'),
  maxConcurrentWorkflowTaskPolls: same('maxConcurrentWorkflowTaskPolls'),
  maxCachedWorkflows: same('maxCachedWorkflows'),
};

function mapBundlerOptions(value: Readonly<Record<string, unknown>>, supported: ReadonlySet<string>, input: Record<string, unknown>, notPassed: string[]): void {
  if (supported.has('bundlerOptions')) {
    input.bundlerOptions = value;
    return;
  }
  for (const [key, v] of Object.entries(value)) {
    if (key === 'ignoreModules' && supported.has('ignoreModules')) input.ignoreModules = v;
    else notPassed.push(`bundlerOptions.${key}`);
  }
}

function mapInterceptors(value: Readonly<Record<string, unknown>>, input: Record<string, unknown>, notPassed: string[]): ActivityInboundFactory[] {
  let activityInbound: ActivityInboundFactory[] = [];
  for (const [key, v] of Object.entries(value)) {
    if (key === 'activityInbound') activityInbound = v as ActivityInboundFactory[];
    else if (key === 'workflowModules') input.workflowInterceptorModules = v;
    else notPassed.push(`interceptors.${key}`);
  }
  return activityInbound;
}

export function mapWorkerOptions(official: OfficialWorkerOptions, supported: ReadonlySet<string>): MappedWorkerOptions {
  const input: Record<string, unknown> = {};
  const notPassed: string[] = [];
  let activityInbound: ActivityInboundFactory[] = [];
  for (const [key, value] of Object.entries(official)) {
    if (value === undefined || GIVEN_BY_RUNNER.has(key)) continue;
    const renamed = RENAMED[key];
    if (renamed) {
      const [ourKey, ourValue] = renamed(value);
      input[ourKey] = ourValue;
    } else if (key === 'bundlerOptions') {
      mapBundlerOptions(value as Record<string, unknown>, supported, input, notPassed);
    } else if (key === 'interceptors') {
      activityInbound = mapInterceptors(value as Record<string, unknown>, input, notPassed);
    } else if (supported.has(key)) {
      input[key] = value;
    } else {
      notPassed.push(key);
    }
  }
  return { input, activityInbound, notPassed };
}

/**
 * Our counterpart of what the harness's webpack config does for the official bundler. Its hook
 * replaces the bundler's disallowed-module check, so every module of the official bundler's
 * `disallowedModules` (Node built-ins but `assert`/`url`/`util`, `@temporalio/worker`, …) becomes
 * an empty module, and `@temporalio/client` / `@temporalio/activity` become globals holding the
 * host's modules; it also ignores `@grpc/grpc-js`. For our bundler all of them are
 * `ignoreModules` (empty modules): the suite's workflow code only names them outside workflow
 * functions. Built-ins are listed as `x` and `node:x`, because our bundler matches imports as written.
 */
export function harnessIgnoreModules(disallowedModules: readonly string[]): string[] {
  const builtins = new Set(builtinModules.map((m) => m.replace(/^node:/, '')));
  const prefixed = disallowedModules.filter((m) => builtins.has(m)).map((m) => `node:${m}`);
  return [...disallowedModules, ...prefixed, '@grpc/grpc-js'];
}
