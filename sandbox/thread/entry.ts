/**
 * Entry of a sandbox thread (a piscina worker): holds the compiled bundles and the runs pinned
 * to this thread, and turns each task into one activation completion. It never throws for a
 * workflow's fault: failures come back as data, because a rejected piscina task is how the host
 * learns that the thread itself died.
 */
import vm from 'node:vm';
import { workerData } from 'node:worker_threads';
import proto from '@temporalio/proto';
import { SandboxErrorCode, type SerializedSandboxError } from '../errors.js';
import type { ActivateTask, ThreadConfig, ThreadResult, ThreadTask, WorkflowLogRecord } from '../protocol.js';
import { DeadlineExceeded, defaultErrorToFailure, WorkflowRun, type Completion } from './workflow-run.js';

const { WorkflowActivation } = proto.coresdk.workflow_activation;
const { WorkflowActivationCompletion } = proto.coresdk.workflow_completion;

const config = workerData as ThreadConfig;
const status = new Float64Array(config.status);
/** Compiled bundles by id. Compiling once per thread; each run evaluates it in its own context. */
const scripts = new Map<string, vm.Script>();
const MAX_SCRIPTS = 8;
const runs = new Map<string, WorkflowRun>();
/** Each context's `Promise` constructor → its run, to attribute unhandled rejections. */
const runsByPromise = new Map<unknown, WorkflowRun>();

// In a worker thread an unhandled rejection would kill the thread and every run on it; charge
// it to the run whose realm created the promise instead (its activation then fails).
process.on('unhandledRejection', (reason, promise) => {
  runsByPromise.get(promise.constructor)?.setUnhandledRejection(reason);
});

function failure(code: SerializedSandboxError['code'], message: string, evicted: boolean): ThreadResult & { ok: false } {
  return { ok: false, error: { code, message }, evicted };
}

function dropRun(runId: string): void {
  const run = runs.get(runId);
  if (run === undefined) return;
  runs.delete(runId);
  runsByPromise.delete(run.promiseConstructor);
}

/** Attributes must survive structured cloning: anything that would not is sent as text. */
function cloneable(attributes: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(attributes)) {
    try {
      out[key] = structuredClone(value);
    } catch {
      out[key] = String(value);
    }
  }
  return out;
}

function collectLogs(run: WorkflowRun): WorkflowLogRecord[] {
  const pending = run.drainLogs();
  if (!config.forwardLogs) return [];
  const { runId, workflowId, workflowType } = run.info;
  return pending.map((log) => ({ ...log, runId, workflowId, workflowType, attributes: cloneable(log.attributes) }));
}

function encode(completion: Completion): Uint8Array {
  try {
    return WorkflowActivationCompletion.encode(completion).finish();
  } catch (err) {
    // E.g. a custom payload converter produced something that is not a Payload: fail the task.
    const failure = defaultErrorToFailure(new Error(`Cannot encode the activation completion: ${String(err)}`));
    return WorkflowActivationCompletion.encode({ runId: completion.runId, failed: { failure } }).finish();
  }
}

function deadlockResult(who: { workflowType?: string | null; workflowId?: string | null } | undefined, runId: string, err: DeadlineExceeded): ThreadResult {
  const type = who?.workflowType ?? 'unknown';
  const workflowId = who?.workflowId ?? 'unknown';
  return failure(
    SandboxErrorCode.deadlock,
    `Potential deadlock in workflow '${type}' (workflowId '${workflowId}', runId '${runId}'): ` +
      `an activation did not return within ${config.deadlockTimeoutMs} ms (stuck in ${err.stage}). ` +
      'Workflow code must not block: look for an endless loop or a long synchronous computation. The run was evicted.',
    true,
  );
}

async function activate(task: ActivateTask): Promise<ThreadResult> {
  if (task.bundle !== undefined && !scripts.has(task.bundleId)) {
    scripts.set(task.bundleId, new vm.Script(task.bundle.code, { filename: task.bundle.filename }));
    // Scripts are only needed to create runs, so dropping the oldest is always safe: the host
    // resends a bundle's code when a thread answers `needsBundle`.
    if (scripts.size > MAX_SCRIPTS) scripts.delete(scripts.keys().next().value as string);
  }
  let activation;
  try {
    activation = WorkflowActivation.decode(task.activation);
  } catch (err) {
    return failure(SandboxErrorCode.activationInvalid, `Cannot decode activation of run '${task.runId}': ${String(err)}`, false);
  }
  const deadline = performance.now() + config.deadlockTimeoutMs;
  const evictIndex = activation.jobs.findIndex((job) => job.removeFromCache != null);
  const closing = evictIndex !== -1;
  if (closing) activation.jobs.splice(evictIndex, 1);

  let run = runs.get(task.runId);
  try {
    if (run === undefined && activation.jobs.length > 0) {
      const script = scripts.get(task.bundleId);
      if (script === undefined) return { ...failure(SandboxErrorCode.bundleUnknown, `Bundle '${task.bundleId}' not loaded`, false), needsBundle: true };
      if (activation.jobs.every((job) => job.initializeWorkflow == null)) return failure(SandboxErrorCode.runNotFound, '', true);
      if (task.create === undefined) return failure(SandboxErrorCode.activationInvalid, 'Creating a run requires its namespace and task queue', false);
      try {
        run = WorkflowRun.create(script, activation, task.create, deadline);
      } catch (err) {
        if (err instanceof DeadlineExceeded) throw err;
        // Like the official worker: the task fails, nothing is cached, a retry starts over.
        return { ok: true, completion: encode({ runId: task.runId, failed: { failure: defaultErrorToFailure(err) } }), closed: true, logs: [] };
      }
      runs.set(task.runId, run);
      runsByPromise.set(run.promiseConstructor, run);
    }
    const completion: Completion = activation.jobs.length > 0 && run ? await run.activate(activation, deadline) : { runId: task.runId, successful: {} };
    const logs = run ? collectLogs(run) : [];
    if (closing && run) {
      run.dispose(performance.now() + config.deadlockTimeoutMs);
      dropRun(task.runId);
    }
    return { ok: true, completion: encode(completion), closed: closing, logs };
  } catch (err) {
    if (!(err instanceof DeadlineExceeded)) throw err; // a bug in the sandbox: let the host see it
    // The context's stack was unwound mid-flight: its state cannot be trusted any more.
    dropRun(task.runId);
    const who = run?.info ?? activation.jobs.find((job) => job.initializeWorkflow != null)?.initializeWorkflow ?? undefined;
    return deadlockResult(who, task.runId, err);
  }
}

/** Piscina task handler: one activation or eviction per call. */
export default async function handle(task: ThreadTask): Promise<ThreadResult> {
  status[1] = task.kind === 'activate' ? task.tag : 0;
  status[0] = Date.now();
  try {
    if (task.kind === 'evict' || task.kind === 'evictAll') {
      for (const runId of task.kind === 'evict' ? [task.runId] : [...runs.keys()]) {
        runs.get(runId)?.dispose(performance.now() + config.deadlockTimeoutMs);
        dropRun(runId);
      }
      return { ok: true, completion: new Uint8Array(0), closed: true, logs: [] };
    }
    return await activate(task);
  } finally {
    status[0] = 0;
  }
}
