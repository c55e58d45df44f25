/**
 * The shapes of the suite's TypeScript harness (`harness/ts/harness.ts`) that the runner uses.
 * The harness is loaded at run time from the path the runner is given, so its own types are not
 * available to our compiler; these mirror the parts we call.
 */
import type { Client, Connection, ConnectionOptions } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';

export type ActivityFn = (...args: unknown[]) => unknown;

export interface HarnessFeature {
  readonly options: {
    readonly workflowsPath?: string;
    readonly workerOptions?: Readonly<Record<string, unknown>>;
    readonly dataConverter?: DataConverter;
  };
  readonly activities: Readonly<Record<string, ActivityFn>>;
}

export interface HarnessFeatureSource {
  readonly relDir: string;
  readonly absDir: string;
  loadFeature(): Promise<HarnessFeature>;
}

/** `RunnerOptions` of the harness. */
export interface HarnessRunnerOptions {
  readonly address: string;
  readonly namespace: string;
  readonly proxyUrl?: string;
  readonly taskQueue: string;
}

export interface HarnessRunner {
  run(): Promise<void>;
  close(): Promise<void>;
  restartWorker(): Promise<void>;
}

/** What the harness's Runner needs of a worker: `worker.shutdown()`, and `run()` is its promise. */
export interface WorkerLike {
  shutdown(): void;
  getState(): string;
}

/** The harness Runner's (TypeScript-private) constructor, in its parameter order. */
export type HarnessRunnerConstructor = new (
  source: HarnessFeatureSource,
  feature: HarnessFeature,
  options: HarnessRunnerOptions,
  client: Client,
  connectionOpts: ConnectionOptions,
  nativeConnection: { close(): Promise<void> },
  nativeConnectionOpts: Readonly<Record<string, unknown>>,
  worker: WorkerLike,
  workerOpts: Readonly<Record<string, unknown>>,
  workerRunPromise: Promise<void>,
) => HarnessRunner;

export interface HarnessModule {
  readonly Runner: HarnessRunnerConstructor & {
    create(source: HarnessFeatureSource, options: HarnessRunnerOptions): Promise<HarnessRunner>;
  };
  readonly FeatureSource: new (relDir: string, absDir: string) => HarnessFeatureSource;
}

/** `harness/ts/activity-interceptors.ts`: puts the harness's client on each activity's Context. */
export interface HarnessActivityInterceptorsModule {
  readonly ConnectionInjectorInterceptor: new (connection: Connection, client: Client) => {
    execute(input: { args: unknown[]; headers: Record<string, unknown> }, next: (input: { args: unknown[]; headers: Record<string, unknown> }) => Promise<unknown>): Promise<unknown>;
  };
}
