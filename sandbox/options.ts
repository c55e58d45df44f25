/**
 * Options of {@link WorkflowSandbox}: the public interface, its defaults in one object, and the
 * compiled (validated, filled) form the sandbox works with.
 */
import { ConfigError } from '../core/errors.js';
import type { SandboxIsolation, WorkflowLogRecord } from './protocol.js';

export interface SandboxOptions {
  /**
   * Number of sandbox threads. Each run is pinned to one of them for as long as it is cached.
   * The official worker's `workflowThreadPoolSize`, with its defaults: one thread when runs share
   * a context (its `reuseV8Context`), since a second isolate mostly adds JIT warm-up and GC work
   * (measured in bench/README.md); two with `isolation: 'context-per-run'`, where creating each
   * run's context blocks its thread for milliseconds.
   * @default 1, or 2 with `isolation: 'context-per-run'`
   */
  readonly threads?: number;
  /**
   * V8 old-generation heap limit of each thread, in MiB. A workflow that exceeds it kills only
   * its thread; the runs pinned there are evicted and the thread is replaced.
   * @default 512
   */
  readonly maxOldGenerationSizeMb?: number;
  /**
   * How runs share `vm` contexts within a thread.
   *
   * - `'shared-context'`: one context per (thread, bundle), the bundle evaluated once. Each run
   *   gets its own instances of the workflow modules (top-level state is per run) and its own
   *   globals; the workflow library's modules and the built-ins are shared and frozen, except
   *   built-in prototypes. Costs ~0.1 ms and a few KiB per run instead of ~6 ms and ~0.4 MiB.
   *   Activations run without a per-call vm timeout (its watchdog thread is costly); a deadlock
   *   makes the host end the thread at `deadlockTimeoutMs`, evicting every run on it; they replay.
   * - `'context-per-run'`: a fresh context per run with its own evaluation of the bundle.
   *   Strongest isolation (even `Array.prototype` patches stay in their run, and a deadlock,
   *   ended by a vm timeout, costs only its own run), at the cost above.
   * @default 'shared-context'
   */
  readonly isolation?: SandboxIsolation;
  /**
   * Longest an activation may run before it is declared a deadlock (`WORKFLOW_DEADLOCK`).
   * @default 2000
   */
  readonly deadlockTimeoutMs?: number;
  /**
   * When an activation runs past half of `deadlockTimeoutMs`, pause its thread for a moment
   * through the inspector to name the workflow source line it is executing; the deadlock error
   * then says where it was stuck. Attaches an inspector session on the first such activation.
   * @default true
   */
  readonly locateDeadlocks?: boolean;
  /**
   * Receives workflow `log.*` and `console.*` output (never during replay). When unset, logs
   * are dropped inside the threads and cost nothing to ship.
   * @default undefined
   */
  readonly onWorkflowLog?: (record: WorkflowLogRecord) => void;
  /**
   * Directory for the compiled thread entry.
   * @default `${os.tmpdir()}/tempo-sandbox`
   */
  readonly threadEntryDir?: string;
}

/** Every default of {@link SandboxOptions}, in one place. */
export const SANDBOX_DEFAULTS = {
  threads: undefined as number | undefined, // resolved at compile time from the isolation (defaultThreads)
  maxOldGenerationSizeMb: 512,
  isolation: 'shared-context' as SandboxIsolation,
  deadlockTimeoutMs: 2000,
  locateDeadlocks: true,
  onWorkflowLog: undefined as SandboxOptions['onWorkflowLog'],
  threadEntryDir: undefined as string | undefined,
} as const;

export interface CompiledSandboxOptions {
  readonly threads: number;
  readonly maxOldGenerationSizeMb: number;
  readonly isolation: SandboxIsolation;
  readonly deadlockTimeoutMs: number;
  readonly locateDeadlocks: boolean;
  readonly onWorkflowLog?: (record: WorkflowLogRecord) => void;
  readonly threadEntryDir?: string;
}

/** The official `workflowThreadPoolSize` default: 1 with `reuseV8Context` (our shared context), else 2. */
function defaultThreads(isolation: SandboxIsolation): number {
  return isolation === 'context-per-run' ? 2 : 1;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) throw new ConfigError(`options.${name} must be a positive integer, got ${value}`);
  return value;
}

function isolation(value: SandboxIsolation): SandboxIsolation {
  if (value === 'shared-context' || value === 'context-per-run') return value;
  throw new ConfigError(`options.isolation must be 'shared-context' or 'context-per-run', got ${String(value)}`);
}

/** Fills defaults and validates; errors name the offending option. */
export function compileSandboxOptions(options: SandboxOptions = {}): CompiledSandboxOptions {
  const merged = { ...SANDBOX_DEFAULTS, ...options };
  const isolated = isolation(merged.isolation);
  return {
    threads: positiveInteger('threads', merged.threads ?? defaultThreads(isolated)),
    maxOldGenerationSizeMb: positiveInteger('maxOldGenerationSizeMb', merged.maxOldGenerationSizeMb),
    isolation: isolated,
    deadlockTimeoutMs: positiveInteger('deadlockTimeoutMs', merged.deadlockTimeoutMs),
    locateDeadlocks: merged.locateDeadlocks,
    onWorkflowLog: merged.onWorkflowLog,
    threadEntryDir: merged.threadEntryDir,
  };
}
