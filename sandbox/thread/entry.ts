/**
 * Entry of a sandbox thread (a piscina worker): holds the compiled bundles and the runs pinned
 * to this thread, and turns each task into one activation completion. It never throws for a
 * workflow's fault: failures come back as data, because a rejected piscina task is how the host
 * learns that the thread itself died.
 */
import vm from 'node:vm';
import { workerData } from 'node:worker_threads';
import proto from '@temporalio/proto';
import { describeDeadlock, SandboxErrorCode, type DeadlockedRun, type SerializedSandboxError } from '../errors.js';
import type { ActivateTask, BundleCode, PrewarmTask, SinkCallRecord, ThreadConfig, ThreadResult, ThreadTask, WorkflowLogRecord } from '../protocol.js';
import { BundleSourceMap } from './bundle-source-map.js';
import { mapErrorStacks } from './call-sites.js';
import { trackPromiseStacks } from './promise-stacks.js';
import { ContextPoisoned, PrivateContext, SharedContext, type BundleSource, type RunContext } from './run-context.js';
import { logOfSinkCall, toSinkCallRecord, withoutQuietLogs } from './sink-calls.js';
import { warmCodecs } from './warm-codecs.js';
import { taskEnded, taskStarted, useStatusCells } from './thread-status.js';
import { DeadlineExceeded, defaultErrorToFailure, WorkflowRun, type Completion } from './workflow-run.js';

const { WorkflowActivation } = proto.coresdk.workflow_activation;
const { WorkflowActivationCompletion } = proto.coresdk.workflow_completion;

const config = workerData as ThreadConfig;
useStatusCells(config.status);
/** Compiled bundles by id, needed only to create contexts. */
const scripts = new Map<string, { script: vm.Script; source: BundleSource }>();
/** Source maps by script file name, for error stacks; a bundle's file name is unique to its code. */
const sourceMaps = new Map<string, BundleSourceMap>();
const MAX_SOURCE_MAPS = 32;
const MAX_SCRIPTS = 8;
/** Shared contexts by bundle id (`shared-context` isolation); idle ones beyond this are dropped. */
const sharedContexts = new Map<string, SharedContext>();
const MAX_IDLE_SHARED_CONTEXTS = 4;
const runs = new Map<string, WorkflowRun>();
/** Each context's `Promise` constructor → the context, to attribute unhandled rejections. */
const contextsByPromise = new Map<unknown, RunContext>();

// Workflow errors (failures in history) name the user's files, as on the official worker.
mapErrorStacks((filename) => sourceMaps.get(filename));

// Stacks of workflow promises, for the stack trace queries; each belongs to the run executing.
trackPromiseStacks((promise) => contextsByPromise.get(promise.constructor)?.current?.stackOwner());

// In a worker thread an unhandled rejection would kill the thread and every run on it; charge
// it to the run that ran last in the realm that created the promise (its activation then fails).
process.on('unhandledRejection', (reason, promise) => {
  contextsByPromise.get(promise.constructor)?.current?.setUnhandledRejection(reason);
});

function failure(code: SerializedSandboxError['code'], message: string, evicted: boolean, lostRuns?: string[]): ThreadResult & { ok: false } {
  return { ok: false, error: { code, message }, evicted, lostRuns };
}

/** Forgets a run (its context has already been left or is being discarded). */
function dropRun(runId: string): void {
  const run = runs.get(runId);
  if (run === undefined) return;
  runs.delete(runId);
  if (run.realm instanceof SharedContext) run.realm.runIds.delete(runId);
  else contextsByPromise.delete(run.realm.promiseConstructor);
}

/**
 * Discards a context that can no longer be trusted, with every run in it. Returns the ids of
 * the runs lost besides `except`, which the host must evict.
 */
function discardContext(realm: RunContext | undefined, except: string): string[] {
  if (!(realm instanceof SharedContext)) {
    dropRun(except);
    return [];
  }
  const lost = [...realm.runIds].filter((id) => id !== except);
  for (const id of realm.runIds) runs.delete(id);
  realm.runIds.clear();
  contextsByPromise.delete(realm.promiseConstructor);
  for (const [bundleId, context] of sharedContexts) if (context === realm) sharedContexts.delete(bundleId);
  return lost;
}

/** Disposes a run and forgets it; a shared context left broken is discarded (see {@link discardContext}). */
function disposeRun(run: WorkflowRun): string[] {
  const intact = run.dispose(performance.now() + config.deadlockTimeoutMs);
  dropRun(run.info.runId);
  return intact ? [] : discardContext(run.realm, run.info.runId);
}

/** The context a new run of `bundleId` goes to, or undefined when the bundle's code is missing. */
function contextFor(bundleId: string): RunContext | undefined {
  const shared = sharedContexts.get(bundleId);
  if (shared !== undefined) {
    // Most recently used last, so that pruning drops the longest idle first.
    sharedContexts.delete(bundleId);
    sharedContexts.set(bundleId, shared);
    return shared;
  }
  const loaded = scripts.get(bundleId);
  if (loaded === undefined) return undefined;
  if (config.isolation === 'context-per-run') return new PrivateContext(loaded.script, loaded.source);
  const context = new SharedContext(loaded.script, config.deadlockTimeoutMs, loaded.source);
  sharedContexts.set(bundleId, context);
  contextsByPromise.set(context.promiseConstructor, context);
  const idle = [...sharedContexts].filter(([, c]) => c.runIds.size === 0 && c !== context);
  for (const [id, c] of idle.slice(0, Math.max(0, idle.length - MAX_IDLE_SHARED_CONTEXTS))) {
    sharedContexts.delete(id);
    contextsByPromise.delete(c.promiseConstructor);
  }
  return context;
}

/** The run's console lines and `log.*` calls as log records (when forwarded), and its sink calls (when asked for). */
function collectOutput(run: WorkflowRun, task: ActivateTask): { logs: WorkflowLogRecord[]; sinkCalls?: SinkCallRecord[] } {
  const consoleLines = run.drainConsole();
  const calls = run.drainSinkCalls();
  const shipped = task.sinkCalls === true ? withoutQuietLogs(calls, task.quietLogLevels) : [];
  const sinkCalls = shipped.length > 0 ? shipped.map(toSinkCallRecord) : undefined;
  if (!config.forwardLogs) return { logs: [], sinkCalls };
  const { runId, workflowId, workflowType } = run.info;
  const pending = [...consoleLines, ...calls.flatMap((call) => logOfSinkCall(call) ?? [])];
  return { logs: pending.map((log) => ({ ...log, runId, workflowId, workflowType })), sinkCalls };
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

function deadlockResult(who: DeadlockedRun | undefined, runId: string, err: DeadlineExceeded, lostRuns: string[]): ThreadResult {
  return failure(SandboxErrorCode.deadlock, describeDeadlock(who, runId, config.deadlockTimeoutMs, err.stage, lostRuns.length, 'context'), true, lostRuns);
}

/** Compiles a bundle the thread does not hold yet. */
function loadScript(bundle: BundleCode): void {
  if (scripts.has(bundle.id)) return;
  const { code, filename } = bundle;
  const sourceMap = bundle.sourceMap === undefined ? undefined : new BundleSourceMap(bundle.sourceMap);
  scripts.set(bundle.id, { script: new vm.Script(code, { filename }), source: { filename, sourceMap } });
  if (sourceMap !== undefined) sourceMaps.set(filename, sourceMap);
  // Bounded like the scripts; an evicted map only leaves later stacks in bundle positions.
  if (sourceMaps.size > MAX_SOURCE_MAPS) sourceMaps.delete(sourceMaps.keys().next().value as string);
  // Scripts are only needed to create contexts, so dropping the oldest is always safe: the
  // host resends a bundle's code when a thread answers `needsBundle`.
  if (scripts.size > MAX_SCRIPTS) scripts.delete(scripts.keys().next().value as string);
}

/**
 * Does ahead of time what a bundle's first activation here would: compile it and, under
 * `shared-context` isolation, evaluate it into the context its runs share. A bundle that fails to
 * evaluate leaves no context behind, so the first activation meets (and reports) the same error.
 */
function prewarm(task: PrewarmTask): ThreadResult {
  try {
    loadScript(task.bundle);
    if (config.isolation === 'shared-context') contextFor(task.bundle.id);
    warmCodecs();
    return { ok: true, completion: new Uint8Array(0), closed: false, logs: [] };
  } catch (err) {
    // contextFor keeps a context only once it is built: nothing half-made stays behind.
    return failure(SandboxErrorCode.bundleFailed, `Bundle '${task.bundle.id}' could not be evaluated: ${String(err)}`, false);
  }
}

async function activate(task: ActivateTask): Promise<ThreadResult> {
  if (task.bundle !== undefined) loadScript(task.bundle);
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
  let realm = run?.realm;
  try {
    if (run === undefined && activation.jobs.length > 0) {
      if (activation.jobs.every((job) => job.initializeWorkflow == null)) return failure(SandboxErrorCode.runNotFound, '', true);
      if (task.create === undefined) return { ...failure(SandboxErrorCode.activationInvalid, 'Creating a run requires its namespace and task queue', false), needsCreate: true };
      try {
        realm = contextFor(task.bundleId);
        if (realm === undefined) return { ...failure(SandboxErrorCode.bundleUnknown, `Bundle '${task.bundleId}' not loaded`, false), needsBundle: true };
        run = WorkflowRun.create(realm, activation, task.create, deadline);
      } catch (err) {
        if (err instanceof DeadlineExceeded || err instanceof ContextPoisoned) throw err;
        // Like the official worker: the task fails, nothing is cached, a retry starts over.
        return { ok: true, completion: encode({ runId: task.runId, failed: { failure: defaultErrorToFailure(err) } }), closed: true, logs: [] };
      }
      runs.set(task.runId, run);
      if (realm instanceof SharedContext) realm.runIds.add(task.runId);
      else contextsByPromise.set(realm.promiseConstructor, realm);
    }
    const completion: Completion = activation.jobs.length > 0 && run ? await run.activate(activation, deadline) : { runId: task.runId, successful: {} };
    const output = run ? collectOutput(run, task) : { logs: [] };
    const lostRuns = closing && run ? disposeRun(run) : [];
    return { ok: true, completion: encode(completion), closed: closing, ...output, lostRuns };
  } catch (err) {
    if (!(err instanceof DeadlineExceeded || err instanceof ContextPoisoned)) throw err; // a sandbox bug: let the host see it
    // The context's stack was unwound mid-flight: its state cannot be trusted any more, nor
    // can that of the other runs sharing it.
    const lostRuns = discardContext(realm, task.runId);
    if (err instanceof ContextPoisoned) return failure(SandboxErrorCode.threadCrashed, `${err.message} (run '${task.runId}')`, true, lostRuns);
    const who = run?.info ?? activation.jobs.find((job) => job.initializeWorkflow != null)?.initializeWorkflow ?? undefined;
    return deadlockResult(who, task.runId, err, lostRuns);
  }
}

/** Disposes the runs of `runIds` this thread holds; returns the runs lost with them (see {@link disposeRun}). */
function disposeRuns(runIds: Iterable<string>): string[] {
  const lostRuns: string[] = [];
  for (const runId of runIds) {
    const run = runs.get(runId);
    if (run !== undefined) lostRuns.push(...disposeRun(run));
  }
  return lostRuns;
}

/** Piscina task handler: one activation (with the evictions that waited for it) or a batch of evictions per call. */
export default async function handle(task: ThreadTask): Promise<ThreadResult> {
  taskStarted(task.kind === 'prewarm' ? 0 : (task.tag ?? 0));
  try {
    if (task.kind === 'evict' || task.kind === 'evictAll') {
      const lostRuns = disposeRuns(task.kind === 'evict' ? task.runIds : [...runs.keys()]);
      return { ok: true, completion: new Uint8Array(0), closed: true, logs: [], lostRuns };
    }
    if (task.kind === 'prewarm') return prewarm(task);
    // First, so that a run evicted and then created anew (a replay) finds its old state gone.
    const evicted = task.evictions === undefined ? [] : disposeRuns(task.evictions);
    const result = await activate(task);
    return evicted.length === 0 ? result : { ...result, lostRuns: [...evicted, ...(result.lostRuns ?? [])] };
  } finally {
    taskEnded();
  }
}
