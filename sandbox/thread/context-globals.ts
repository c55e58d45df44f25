/**
 * The globals a run's `vm` context gets before the bundle runs. A fresh context has only the
 * JavaScript built-ins; workflow code (and the workflow library) also expects a few web/Node
 * APIs that are deterministic, plus `AsyncLocalStorage`, which the library's cancellation and
 * update scopes look up on the global. Time, randomness and timers are NOT provided here: the
 * bundle's own `overrideGlobals()` replaces them with activator-driven versions.
 */
import assert from 'node:assert';
import { AsyncLocalStorage as NodeAsyncLocalStorage } from 'node:async_hooks';
import { format } from 'node:util';
import vm from 'node:vm';

/** Log levels shared by the workflow logger and the injected console. */
export type WorkflowLogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/** Receives `console.*` output from workflow code (already formatted). */
export type ConsoleSink = (level: WorkflowLogLevel, message: string) => void;

/** The part of the workflow library's activator that these globals touch. */
interface ActivatorDestructors {
  workflowSandboxDestructors: Array<() => void>;
}

/** Fields the sandbox keeps on a context's global, beside the user-visible ones. */
interface SandboxGlobal {
  __TEMPORAL_ACTIVATOR__?: ActivatorDestructors;
  __temporal_globalSandboxDestructors?: Array<() => void>;
}

function defineConstant(target: object, name: string, value: unknown): void {
  Object.defineProperty(target, name, { value, writable: false, enumerable: true, configurable: false });
}

/**
 * Installs the sandbox globals on `context` (a contextified object).
 * `onConsole` receives workflow `console.*` calls; the caller decides about replay suppression.
 */
export function injectContextGlobals(context: vm.Context, onConsole: ConsoleSink): void {
  const sandbox = context as SandboxGlobal;
  const constants: Record<string, unknown> = {
    URL,
    URLSearchParams,
    TextEncoder,
    TextDecoder,
    AbortController,
    assert,
  };
  for (const [name, value] of Object.entries(constants)) defineConstant(context, name, value);

  const levels: Record<string, WorkflowLogLevel> = { log: 'info', info: 'info', debug: 'debug', warn: 'warn', error: 'error', trace: 'trace' };
  const consoleObject = Object.fromEntries(
    Object.entries(levels).map(([method, level]) => [method, (...args: unknown[]) => onConsole(level, format(...args))]),
  );
  Object.defineProperty(context, 'console', { value: consoleObject, writable: true, enumerable: false, configurable: true });

  /**
   * Each instance is disabled when the run is disposed: the workflow library registers its
   * destructors on the activator (or, before one exists, on a context-wide list that its
   * `destroy()` drains). Without this, storages would keep the context alive after eviction.
   */
  class AsyncLocalStorage<T> extends NodeAsyncLocalStorage<T> {
    constructor(readonly name = 'anonymous') {
      super();
      const disable = () => this.disable();
      const activator = sandbox.__TEMPORAL_ACTIVATOR__;
      if (activator !== undefined) {
        activator.workflowSandboxDestructors.push(disable);
      } else {
        sandbox.__temporal_globalSandboxDestructors ??= [];
        sandbox.__temporal_globalSandboxDestructors.push(disable);
      }
    }
  }
  defineConstant(context, 'AsyncLocalStorage', AsyncLocalStorage);

  // Node 20's own realm polyfills these symbols, a fresh context's Symbol does not have them;
  // `using` declarations in workflow code (and the library's disposables) need the same ones.
  vm.runInContext(
    `for (const [name, key] of [['dispose', 'nodejs.dispose'], ['asyncDispose', 'nodejs.asyncDispose']]) {
       if (typeof Symbol[name] !== 'symbol') Object.defineProperty(Symbol, name, { value: Symbol.for(key) });
     }`,
    context,
  );
}
