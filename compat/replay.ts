import { DeterminismViolationError } from '@temporalio/workflow/lib/errors.js';
import { replayHistories, type HistoryInput, type ReplayOptions } from '../core/replay/index.js';
import type { RuntimeError } from '../core/errors.js';
import type { InjectedSinks } from '../sandbox/sinks.js';

/** The official `ReplayWorkerOptions` fields the replayer uses. */
export interface ReplayWorkerOptions {
  workflowsPath?: string;
  workflowBundle?: ReplayOptions['workflowBundle'];
  bundlerOptions?: ReplayOptions['bundlerOptions'];
  dataConverter?: ReplayOptions['dataConverter'];
  interceptors?: { workflowModules?: string[] };
  /** Workflow sinks; only `callDuringReplay` functions are called, as on the official replay worker. */
  sinks?: InjectedSinks;
  /** Other official replay options; see {@link replayOptionsOf}. */
  [option: string]: unknown;
}

/** `@temporalio/worker`'s `ReplayError`: a replay failed for a reason other than nondeterminism. */
export class ReplayError extends Error {
  override readonly name = 'ReplayError';
  constructor(message: string, readonly code: string) {
    super(message);
  }
}

/** One official `runReplayHistories` result. */
export interface ReplayResult {
  readonly workflowId: string;
  readonly runId: string;
  readonly error?: DeterminismViolationError | ReplayError;
}

function replayOptionsOf(options: ReplayWorkerOptions): ReplayOptions {
  if (!options.workflowsPath && !options.workflowBundle) throw new ReplayError('Replay needs workflowsPath or workflowBundle.', 'REPLAY_OPTIONS_INVALID');
  const { workflowsPath, workflowBundle, bundlerOptions, dataConverter } = options;
  return { workflowsPath, workflowBundle, bundlerOptions, dataConverter, workflowInterceptorModules: options.interceptors?.workflowModules ?? [], ...(options.sinks && { sinks: options.sinks }) };
}

/** The error class the official replayer gives for each of our verdict codes. */
function officialError(err: RuntimeError): DeterminismViolationError | ReplayError {
  return err.code === 'WORKFLOW_NONDETERMINISM' ? new DeterminismViolationError(err.message) : new ReplayError(err.message, err.code);
}

/** As the official `Worker.runReplayHistories`: one result per history, the error set on failure. */
export async function* runReplayHistories(
  options: ReplayWorkerOptions,
  histories: Iterable<{ history: HistoryInput; workflowId: string }> | AsyncIterable<{ history: HistoryInput; workflowId: string }>,
): AsyncGenerator<ReplayResult> {
  for await (const r of replayHistories(histories, replayOptionsOf(options))) {
    yield r.ok ? { workflowId: r.workflowId, runId: r.runId } : { workflowId: r.workflowId, runId: r.runId, error: officialError(r.error) };
  }
}

/** As the official `Worker.runReplayHistory`: resolves when the history replays, throws the verdict otherwise. */
export async function runReplayHistory(options: ReplayWorkerOptions, history: HistoryInput, workflowId?: string): Promise<void> {
  for await (const r of runReplayHistories(options, [{ history, workflowId: workflowId ?? 'fake' }])) {
    if (r.error) throw r.error;
    return;
  }
  throw new ReplayError('The replayer gave no result for the history.', 'REPLAY_NO_RESULT');
}
