import type { MetricMeter } from '@temporalio/common';
import type { ActivityClient } from '../activity/activity-client.js';
import type { ActivityInvocationDeps } from '../activity/activity-invocation.js';
import { Slots } from '../slots.js';
import type { LocalActivityResolution } from '../workflow/machines/local-activity-machine.js';
import { LocalActivityRun, type LocalActivityAttemptReport, type LocalActivityTask } from './local-activity-run.js';

/** How long stopped local activity functions get to return during a drain. */
const STOP_GRACE_MS = 3_000;

export interface LocalActivityExecutorDeps extends ActivityInvocationDeps {
  namespace: string;
  taskQueue: string;
  /** Local activity attempts running at once in this entity (`maxConcurrentLocalActivityExecutions`). */
  maxConcurrentLocalActivityExecutions: number;
  /** `Context.current().client`, as for the entity's other activities. */
  client?: ActivityClient;
  /** Behind `Context.current().metricMeter`. */
  metricMeter?: MetricMeter;
  /** Each attempt that ran, once it ended (for the SDK's local activity metrics). */
  onAttemptDone?: (report: LocalActivityAttemptReport) => void;
}

/**
 * The local-activity side of a Worker Entity: runs the activities its workflows schedule as
 * local, in this process, with the same activity functions and interceptors as its activity
 * worker, within a slot limit of their own. Results go back to the run that asked, through the
 * callback given with each activity.
 */
export class LocalActivityExecutor {
  readonly slots: Slots;
  private readonly runs = new Map<string, LocalActivityRun>();
  /** Runs ended without a report whose function may still be returning, for drain. */
  private readonly stopped = new Set<LocalActivityRun>();
  private tokens = 0;

  constructor(private readonly deps: LocalActivityExecutorDeps) {
    this.slots = new Slots(deps.maxConcurrentLocalActivityExecutions);
  }

  /** Local activities not resolved yet (running, waiting for a slot or backing off). */
  get inFlight(): number {
    return this.runs.size;
  }

  /** Starts one; a second request for the same run and seq while the first is alive is ignored. */
  start(task: LocalActivityTask, onResolved: (resolution: LocalActivityResolution) => void): void {
    const key = keyOf(task.runId, task.schedule.seq ?? 0);
    if (this.runs.has(key)) return;
    const run = new LocalActivityRun(
      task,
      { ...this.deps, slots: this.slots, taskToken: () => localTaskToken(++this.tokens) },
      (resolution) => {
        this.forget(key, run);
        onResolved(resolution);
      },
    );
    this.runs.set(key, run);
    run.start();
  }

  /** The workflow cancels one: the resolution when it is known at once (it was not running). */
  cancel(runId: string, seq: number): LocalActivityResolution | undefined {
    const key = keyOf(runId, seq);
    const run = this.runs.get(key);
    const resolution = run?.cancel();
    if (run?.done) this.forget(key, run);
    return resolution;
  }

  /** Stops every local activity of a run without reporting (the run ended or left the cache). */
  stopRun(runId: string, reason: 'CANCELLED' | 'WORKER_SHUTDOWN' = 'CANCELLED'): void {
    for (const [key, run] of this.runs) {
      if (!key.startsWith(`${runId}:`)) continue;
      this.stop(run, reason);
      this.forget(key, run);
    }
  }

  /**
   * Lets local activities still running finish within `graceMs` (their workflow tasks wait for
   * them), then stops the rest with reason WORKER_SHUTDOWN, and gives stopped functions
   * {@link STOP_GRACE_MS} to return (a function that ignores its cancellation is left behind, logged).
   */
  async drain(graceMs: number): Promise<void> {
    const deadline = performance.now() + graceMs;
    while (this.runs.size && performance.now() < deadline) await new Promise((r) => setTimeout(r, Math.min(50, Math.max(1, deadline - performance.now()))));
    for (const run of this.runs.values()) this.stop(run, 'WORKER_SHUTDOWN');
    this.runs.clear();
    let timer: NodeJS.Timeout | undefined;
    const idle = Promise.all([...this.stopped].map((r) => r.idle())).then(() => true);
    const late = new Promise<false>((r) => (timer = setTimeout(() => r(false), STOP_GRACE_MS)));
    const settled = await Promise.race([idle, late]);
    clearTimeout(timer);
    if (!settled) this.deps.logger.warn('Local activity functions still running after their cancellation', { count: [...this.stopped].filter((r) => !r.isIdle).length });
  }

  private stop(run: LocalActivityRun, reason: 'CANCELLED' | 'WORKER_SHUTDOWN'): void {
    run.stop(reason);
    this.stopped.add(run);
    void run.idle().then(() => this.stopped.delete(run));
  }

  private forget(key: string, run: LocalActivityRun): void {
    if (this.runs.get(key) === run) this.runs.delete(key);
  }
}

function keyOf(runId: string, seq: number): string {
  return `${runId}:${seq}`;
}

/** Task tokens of local activities never reach the server; they only tell attempts apart. */
function localTaskToken(n: number): Uint8Array {
  const token = Buffer.alloc(14);
  token.write('local_act_', 0, 'latin1');
  token.writeUInt32LE(n, 10);
  return token;
}
