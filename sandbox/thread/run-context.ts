/**
 * Where a run's code executes: a `vm` context holding an evaluated bundle. Two kinds, chosen
 * by the sandbox's `isolation` option:
 *
 * - {@link PrivateContext} (`context-per-run`): one context per run, the bundle evaluated in
 *   each. Nothing is shared, at ~6 ms and ~0.4 MiB per run.
 * - {@link SharedContext} (`shared-context`): one context per (thread, bundle), the bundle
 *   evaluated once. Each run has its own user modules (see ../bundle-parts.ts) and its own
 *   globals (see global-scope.ts), but shares the library's module instances and the
 *   built-ins' prototypes; a run that breaks the context (a deadlock unwinds its stack
 *   mid-flight) takes every run of the context with it.
 */
import vm from 'node:vm';
import type { BundleSourceMap } from './bundle-source-map.js';
import { injectContextGlobals, type WorkflowLogLevel } from './context-globals.js';
import type { StackOwner } from './promise-stacks.js';
import { freezePristineGlobals, installGlobalsSwitcher, type GlobalsBag, type GlobalsSwitcher } from './global-scope.js';

/** Globals the host sets around each call into a context (see workflow-run.ts). */
export const HOST_KEYS = ['__tempo_drive', '__tempo_call'] as const;

/** What a context needs from the runs it hosts. */
export interface ContextTenant {
  onConsole(level: WorkflowLogLevel, message: string): void;
  setUnhandledRejection(reason: unknown): void;
  /** Where stacks of the promises the run creates go; undefined before its activator exists. */
  stackOwner(): StackOwner | undefined;
}

/** The bundle a context evaluates: its script's file name and source map, for stack traces. */
export interface BundleSource {
  readonly filename: string;
  readonly sourceMap: BundleSourceMap | undefined;
}

/** The context can no longer be trusted; every run in it must be dropped. */
export class ContextPoisoned extends Error {
  constructor(reason: string) {
    super(`The shared workflow context was discarded: ${reason}`);
  }
}

export interface RunContext {
  readonly context: vm.Context;
  readonly source: BundleSource;
  /** True for a context that hosts many runs: `destroy()` must wait until the last one leaves. */
  readonly shared: boolean;
  /** The context's `Promise` constructor, to attribute unhandled rejections. */
  readonly promiseConstructor: unknown;
  /** The run that executed last; unhandled rejections and console lines are charged to it. */
  readonly current: ContextTenant | undefined;
  /** Makes `run` the current run; first thing inside each of its timed calls. */
  enter(run: ContextTenant): void;
  /** Readies the context for a new run (inside that run's first timed call). */
  prepare(): void;
  /** `run` is gone for good. */
  release(run: ContextTenant): void;
}

function newContext(self: { current: ContextTenant | undefined }): vm.Context {
  const context = vm.createContext({}, { microtaskMode: 'afterEvaluate' });
  injectContextGlobals(context, (level, message) => self.current?.onConsole(level, message));
  return context;
}

/** One context per run: the bundle is evaluated in {@link prepare}, under the run's deadline. */
export class PrivateContext implements RunContext {
  readonly shared = false;
  readonly context: vm.Context;
  readonly promiseConstructor: unknown;
  current: ContextTenant | undefined;
  readonly source: BundleSource;
  readonly #script: vm.Script;

  constructor(script: vm.Script, source: BundleSource) {
    this.#script = script;
    this.source = source;
    this.context = newContext(this);
    this.promiseConstructor = vm.runInContext('Promise', this.context);
  }

  enter(run: ContextTenant): void {
    this.current = run;
  }

  prepare(): void {
    this.#script.runInContext(this.context);
  }

  release(): void {
    this.current = undefined;
  }
}

/**
 * One context for many runs of one bundle. Evaluates the bundle at construction, then freezes
 * the pristine globals and keeps each run's own globals in a bag swapped in by {@link enter}.
 */
export class SharedContext implements RunContext {
  readonly shared = true;
  readonly context: vm.Context;
  readonly promiseConstructor: unknown;
  /** Ids of the runs living in this context, kept by the thread entry. */
  readonly runIds = new Set<string>();
  current: ContextTenant | undefined;
  readonly source: BundleSource;
  readonly #switcher: GlobalsSwitcher;
  readonly #bags = new Map<ContextTenant, GlobalsBag>();
  #poisoned = false;

  /** @param timeoutMs bound on the library's top-level code, which runs here, outside any run */
  constructor(script: vm.Script, timeoutMs: number, source: BundleSource) {
    this.source = source;
    this.context = newContext(this);
    // Library code only: user modules are instantiated per run, inside that run's calls.
    script.runInContext(this.context, { timeout: timeoutMs });
    // A bundle without per-run user modules would silently share module state between runs.
    if (vm.runInContext('typeof globalThis.__TEMPORAL__?.userModules', this.context) !== 'function') {
      throw new TypeError('This workflow bundle predates per-run user modules; rebuild it to use shared-context isolation');
    }
    this.promiseConstructor = vm.runInContext('Promise', this.context);
    this.#switcher = installGlobalsSwitcher(this.context, HOST_KEYS);
    freezePristineGlobals(this.context);
  }

  /** @throws {ContextPoisoned} when the previous run's globals cannot be put away */
  enter(run: ContextTenant): void {
    let bag = this.#bags.get(run);
    if (bag === undefined) {
      bag = new Map();
      this.#bags.set(run, bag);
    }
    if (this.#poisoned || !this.#switcher.enter(bag)) {
      this.#poisoned = true;
      throw new ContextPoisoned('a run defined a global that cannot be removed');
    }
    this.current = run;
  }

  prepare(): void {
    // The bundle was evaluated once, at construction.
  }

  release(run: ContextTenant): void {
    // Clears the globals of the run if it is active, so nothing of it stays reachable.
    if (this.current === run) {
      if (!this.#switcher.leave()) this.#poisoned = true;
      this.current = undefined;
    }
    this.#bags.delete(run);
  }
}
