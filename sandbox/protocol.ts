/**
 * Messages between the host (WorkflowSandbox) and a sandbox thread. One task per activation:
 * everything a thread needs for it travels in that one message, so an activation costs exactly
 * one thread hop.
 *
 * Activations and completions cross as encoded protobuf bytes rather than plain objects: the
 * workflow library needs protobufjs message instances (it reads `job.variant` and calls
 * `Long#toBytes()`), so the thread would rebuild them from plain objects anyway, and the caller
 * already holds bytes. Decoding happens in the thread, off the host's event loop.
 */
import type { WorkflowInfo } from '@temporalio/workflow';
import type { SerializedSandboxError } from './errors.js';
import type { WorkflowLogLevel } from './thread/context-globals.js';

/** How runs of a thread are spread over `vm` contexts; see `SandboxOptions.isolation`. */
export type SandboxIsolation = 'shared-context' | 'context-per-run';

/** `workerData` of every sandbox thread. */
export interface ThreadConfig {
  readonly deadlockTimeoutMs: number;
  /** How runs share `vm` contexts (see SandboxOptions.isolation). */
  readonly isolation: SandboxIsolation;
  /** When false, workflow logs are dropped in the thread and never serialized. */
  readonly forwardLogs: boolean;
  /**
   * Shared status cells ({@link STATUS_CELLS} float64): the thread writes the wall-clock start (ms)
   * of the call into workflow code it is making (what a deadline counts; 0 between calls and
   * when idle) into index 0, the start of the task itself into index 3 (when to locate it), the task's `tag` into index 1 and what
   * it is doing (an index into {@link THREAD_STAGES}) into index 2, so the host can see, and name,
   * a stuck activation without asking the thread.
   */
  readonly status: SharedArrayBuffer;
}

/** Number of float64 cells in {@link ThreadConfig.status}. */
export const STATUS_CELLS = 4;

/** What a thread can be doing, by the index it writes into status cell 2; named in deadlock errors. */
export const THREAD_STAGES = ['idle', 'bundle evaluation', 'initRuntime', 'initialize', 'activate', 'tryUnblockConditions', 'concludeActivation', 'dispose', 'destroy'] as const;

export type ThreadStage = (typeof THREAD_STAGES)[number];

/** The code of a bundle, sent to a thread the first time one of its runs needs it. */
export interface BundleCode {
  readonly id: string;
  readonly code: string;
  readonly filename: string;
  /** The bundle's source map (JSON), to point stack trace queries at the user's files. */
  readonly sourceMap?: string;
}

/** Per-run settings that the first activation does not carry. */
export interface RunCreateOptions {
  readonly namespace: string;
  readonly taskQueue: string;
  /** Activity types registered for local activities; scheduling any other one fails fast. */
  readonly registeredActivityNames?: readonly string[];
  /** Error type names that fail the workflow instead of the workflow task, for every workflow type. */
  readonly failureExceptionTypeNames?: readonly string[];
  /** The official `workflowFailureErrorTypes` (by workflow type, `'*'` for all); adds to `failureExceptionTypeNames`. */
  readonly workflowFailureErrorTypes?: Readonly<Record<string, readonly string[]>>;
  /** Include the source files' contents in `__enhanced_stack_trace` answers. */
  readonly showStackTraceSources?: boolean;
}

export interface ActivateTask {
  readonly kind: 'activate';
  /** Host-chosen number identifying this task in the thread's status cells. */
  readonly tag: number;
  readonly runId: string;
  readonly bundleId: string;
  /** Present when the host believes the thread has not loaded this bundle yet. */
  readonly bundle?: BundleCode;
  /** Encoded `coresdk.workflow_activation.WorkflowActivation`. */
  readonly activation: Uint8Array;
  /**
   * Required when the activation creates the run (it has an initializeWorkflow job); sent only
   * when the host holds no run of that id, so cached runs' activations do not carry it.
   */
  readonly create?: RunCreateOptions;
  /** Ship the activation's sink calls back (the host has sinks for them); otherwise they are dropped. */
  readonly sinkCalls?: boolean;
  /** `log.*` (logger sink) calls at these levels are not shipped: the host's logger drops them. */
  readonly quietLogLevels?: readonly WorkflowLogLevel[];
  /** Runs to dispose before the activation: evictions that waited for this task (see ../deferred-evictions.ts). */
  readonly evictions?: readonly string[];
}

export interface EvictTask {
  readonly kind: 'evict';
  /** As {@link ActivateTask.tag}: disposal runs workflow code (interceptors) and is watched too. */
  readonly tag?: number;
  readonly runIds: readonly string[];
}

/** Drops every run of the thread: sent after a failure that leaves the thread alive. */
export interface EvictAllTask {
  readonly kind: 'evictAll';
  /** As {@link EvictTask.tag}; the thread slot's own (negative) tag. */
  readonly tag?: number;
}

/**
 * Compiles a bundle and readies the context its first run will use (the shared context, under
 * `shared-context` isolation), so that activation does not pay for it. Answers `ok: false`
 * without throwing when the bundle cannot be evaluated: the first activation reports why.
 */
export interface PrewarmTask {
  readonly kind: 'prewarm';
  readonly bundle: BundleCode;
}

export type ThreadTask = ActivateTask | EvictTask | EvictAllTask | PrewarmTask;

/** A workflow log line, forwarded from `log.*` (the `__temporal_logger` sink) or `console.*`. */
export interface WorkflowLogRecord {
  readonly level: WorkflowLogLevel;
  readonly message: string;
  readonly source: 'log' | 'console';
  readonly runId: string;
  readonly workflowId: string;
  readonly workflowType: string;
  /** Wall-clock time of the call, in ms since the epoch. */
  readonly timestampMs: number;
  readonly attributes: Readonly<Record<string, unknown>>;
}

/**
 * One call workflow code made to a sink (`proxySinks()`, or `log.*` through `__temporal_logger`),
 * as recorded by the workflow library. `workflowInfo` is the run's info at the time of the call,
 * without the `unsafe.now`/`unsafe.random` functions (they cannot cross threads).
 */
export interface SinkCallRecord {
  readonly ifaceName: string;
  readonly fnName: string;
  readonly args: readonly unknown[];
  readonly workflowInfo: WorkflowInfo;
}

export type ThreadResult =
  | {
      readonly ok: true;
      /** Encoded `coresdk.workflow_completion.WorkflowActivationCompletion`. */
      readonly completion: Uint8Array;
      /** The run was disposed (the activation had a removeFromCache job). */
      readonly closed: boolean;
      readonly logs: readonly WorkflowLogRecord[];
      /** Sink calls of the activation, when the task asked for them. */
      readonly sinkCalls?: readonly SinkCallRecord[];
      /** Other runs the thread dropped because their shared context broke: evict them. */
      readonly lostRuns?: readonly string[];
    }
  | {
      readonly ok: false;
      readonly error: SerializedSandboxError;
      /** The thread dropped the run (e.g. after a deadlock). */
      readonly evicted: boolean;
      /** The thread lacks the bundle: resend the task with its code. */
      readonly needsBundle?: boolean;
      /** The activation creates the run but came without {@link ActivateTask.create}: resend it with them. */
      readonly needsCreate?: boolean;
      /** Other runs the thread dropped because their shared context broke: evict them. */
      readonly lostRuns?: readonly string[];
    };
