/**
 * Errors of the workflow sandbox. Each has a stable `code` (see core/errors.ts): callers match on
 * the code, because these errors are rebuilt on the host from plain data sent by a worker thread.
 */
import { RuntimeError } from '../core/errors.js';

/** Stable codes of every error the sandbox throws on purpose. */
export const SandboxErrorCode = {
  bundleFailed: 'WORKFLOW_BUNDLE_FAILED',
  forbiddenImport: 'WORKFLOW_BUNDLE_FORBIDDEN_IMPORT',
  webpackHookUnsupported: 'WORKFLOW_BUNDLE_HOOK_UNSUPPORTED',
  bundleUnknown: 'WORKFLOW_BUNDLE_UNKNOWN',
  deadlock: 'WORKFLOW_DEADLOCK',
  threadCrashed: 'WORKFLOW_THREAD_CRASHED',
  runNotFound: 'WORKFLOW_RUN_NOT_FOUND',
  activationInvalid: 'WORKFLOW_ACTIVATION_INVALID',
} as const;

export type SandboxErrorCode = (typeof SandboxErrorCode)[keyof typeof SandboxErrorCode];

/** esbuild could not build the workflow bundle (syntax error, unresolved import, ...). */
export class WorkflowBundleError extends RuntimeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(SandboxErrorCode.bundleFailed, message, options);
  }
}

/** One import that workflow code may not use, and the file that imports it. */
export interface ForbiddenImport {
  /** The specifier as written, e.g. `fs` or `node:http`. */
  readonly module: string;
  /** The importing file, relative to the working directory when possible. */
  readonly importer: string;
}

/**
 * Workflow code imports a Node built-in or a non-workflow Temporal package. Rejected at bundle
 * time because such code is either unavailable in the sandbox or breaks determinism on replay.
 */
export class ForbiddenImportError extends RuntimeError {
  readonly imports: readonly ForbiddenImport[];

  constructor(imports: readonly ForbiddenImport[]) {
    const lines = imports.map((i) => `  - '${i.module}' imported by ${i.importer}`).join('\n');
    super(
      SandboxErrorCode.forbiddenImport,
      `Workflow code imports modules that are not allowed in the deterministic sandbox:\n${lines}\n` +
        'Move such code to activities, import activity types with `import type`, ' +
        'or list the module in `ignoreModules` if it is never used at run time.',
    );
    this.imports = imports;
  }
}

/** An activation named a bundle that was never registered with the sandbox. */
export class UnknownBundleError extends RuntimeError {
  constructor(bundleId: string) {
    super(SandboxErrorCode.bundleUnknown, `No workflow bundle registered with id '${bundleId}'; call registerBundle() first`);
  }
}

/**
 * An activation did not return within `deadlockTimeoutMs`. The run's context was destroyed (the
 * stuck code cannot be resumed safely), so the run is evicted; fail the task and replay.
 */
export class WorkflowDeadlockError extends RuntimeError {
  constructor(message: string) {
    super(SandboxErrorCode.deadlock, message);
  }
}

/** Who a deadlock error names; either may be unknown. */
export interface DeadlockedRun {
  readonly workflowType?: string | null;
  readonly workflowId?: string | null;
}

/**
 * The message of a {@link WorkflowDeadlockError} (without the location, which the host adds):
 * the run, the limit, the stage it was stuck in, and the `others` runs lost with it, which
 * shared its `context` (the thread's vm timeout) or its `thread` (the host ended the thread).
 */
export function describeDeadlock(who: DeadlockedRun | undefined, runId: string, timeoutMs: number, stage: string, others: number, shared: 'context' | 'thread'): string {
  return (
    `Potential deadlock in workflow '${who?.workflowType ?? 'unknown'}' (workflowId '${who?.workflowId ?? 'unknown'}', runId '${runId}'): ` +
    `an activation did not return within ${timeoutMs} ms (stuck in ${stage}). ` +
    'Workflow code must not block: look for an endless loop or a long synchronous computation. The run was evicted' +
    (others > 0 ? `, with the ${others} other run(s) sharing its ${shared}.` : '.')
  );
}

/**
 * The worker thread that held a run died (e.g. it hit `maxOldGenerationSizeMb`). The pool
 * started a new thread; every run pinned to the old one is evicted and must be replayed.
 */
export class WorkflowThreadCrashedError extends RuntimeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(SandboxErrorCode.threadCrashed, message, options);
  }
}

/**
 * A non-first activation arrived for a run the sandbox does not hold: never created, evicted, or
 * dropped because its thread died or the context it shared with a misbehaving run broke.
 */
export class WorkflowRunNotFoundError extends RuntimeError {
  /** @param reason why the sandbox no longer holds the run, when it knows */
  constructor(runId: string, reason?: string) {
    super(
      SandboxErrorCode.runNotFound,
      `Workflow run '${runId}' is not cached in the sandbox${reason ? ` (${reason})` : ''} and the activation has no initializeWorkflow job; replay it from history`,
    );
  }
}

/** The activation bytes or its jobs are malformed. */
export class WorkflowActivationError extends RuntimeError {
  constructor(message: string) {
    super(SandboxErrorCode.activationInvalid, message);
  }
}

/** Plain form of a sandbox error, as it crosses the worker-thread boundary. */
export interface SerializedSandboxError {
  readonly code: SandboxErrorCode;
  readonly message: string;
}

/** Rebuilds the typed error on the host from its serialized form. */
export function reviveSandboxError(err: SerializedSandboxError, runId: string): RuntimeError {
  switch (err.code) {
    case SandboxErrorCode.deadlock:
      return new WorkflowDeadlockError(err.message);
    case SandboxErrorCode.threadCrashed:
      return new WorkflowThreadCrashedError(err.message);
    case SandboxErrorCode.runNotFound:
      return new WorkflowRunNotFoundError(runId);
    case SandboxErrorCode.activationInvalid:
      return new WorkflowActivationError(err.message);
    default:
      return new RuntimeError(err.code, err.message);
  }
}
