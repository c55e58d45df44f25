/**
 * The local-activity part of running one workflow task, between the task handler, the run's
 * state and the executor: after each activation completion, the run's requests go to the
 * executor; while local activities are outstanding and no activation is pending, the task waits
 * for their results, each becoming a new activation in the same task; and when the task has run
 * for 80 % of its timeout (the official core's fraction), it is answered with
 * forceCreateNewWorkflowTask so the server starts a new one at once and the activities go on
 * in it (the workflow task heartbeat), instead of the task timing out.
 */
import type { WorkflowRunState } from '../workflow/index.js';
import type { LocalActivityResolution } from '../workflow/machines/local-activity-machine.js';
import type { LocalActivityExecutor } from './local-activity-executor.js';

/** The fraction of the workflow task timeout after which a task waiting on local activities is answered. */
export const WFT_HEARTBEAT_FRACTION = 0.8;

/** What the task should do next. */
export type LocalActivityStep = 'activate' | 'answer' | 'heartbeat';

interface Inbox {
  arrived: LocalActivityResolution[];
  wake: (() => void) | undefined;
}

export class LocalActivityLoop {
  /** Results by run, kept until a task of the run applies them (they may come between tasks). */
  private readonly inboxes = new Map<string, Inbox>();

  constructor(private readonly executor: LocalActivityExecutor) {}

  /** When a task started at `startedAtMs` (performance.now()) must be answered at the latest. */
  static heartbeatDeadline(startedAtMs: number, state: WorkflowRunState): number {
    return startedAtMs + state.workflowTaskTimeoutMs * WFT_HEARTBEAT_FRACTION;
  }

  /** Call after every activation completion: starts and cancels what the run asked for. */
  dispatch(state: WorkflowRunState): void {
    const requests = state.takeLocalActivityRequests();
    const { runId, workflowId, workflowType } = state.options;
    if (requests.cancelAll) {
      this.executor.stopRun(runId);
      return;
    }
    if (!requests.schedule.length && !requests.cancel.length) return;
    const inbox = this.inboxOf(runId);
    for (const seq of requests.cancel) {
      const now = this.executor.cancel(runId, seq);
      if (now) inbox.arrived.push(now);
    }
    for (const schedule of requests.schedule) {
      this.executor.start({ runId, workflowId, workflowType, schedule }, (resolution) => this.deliver(runId, resolution));
    }
  }

  /**
   * Applies the results that arrived ('activate' if any did). Otherwise, while local activities
   * are outstanding, waits for the next result until `deadlineMs` ('heartbeat' when it passes);
   * 'answer' when nothing holds the task any more (or applying a result failed the task).
   */
  async next(state: WorkflowRunState, deadlineMs: number): Promise<LocalActivityStep> {
    for (;;) {
      const applied = this.applyArrived(state);
      if (applied !== 'none') return applied === 'failed' ? 'answer' : 'activate';
      if (!state.awaitsLocalActivities) return 'answer';
      const left = deadlineMs - performance.now();
      if (left <= 0) return 'heartbeat';
      await this.waitForArrival(this.inboxOf(state.runId), left);
    }
  }

  /**
   * Applies the results that arrived since the last look. At the start of a task this puts the
   * results that came between tasks into its first activation, beside the jobs of its new events,
   * as the official core does (and as a replay, reading the markers ahead, will).
   */
  applyArrived(state: WorkflowRunState): 'none' | 'applied' | 'failed' {
    const arrived = this.inboxes.get(state.runId)?.arrived.splice(0) ?? [];
    if (!arrived.length) return 'none';
    try {
      for (const r of arrived) state.resolveLocalActivity(r);
    } catch {
      return 'failed'; // the state holds the failure (nondeterminism...); takeTaskOutcome returns it
    }
    return 'applied';
  }

  /** The run left the cache: its local activities stop and their results are dropped. */
  evict(runId: string): void {
    this.executor.stopRun(runId);
    const inbox = this.inboxes.get(runId);
    this.inboxes.delete(runId);
    inbox?.wake?.();
  }

  private deliver(runId: string, resolution: LocalActivityResolution): void {
    const inbox = this.inboxes.get(runId);
    if (!inbox) return;
    inbox.arrived.push(resolution);
    inbox.wake?.();
  }

  private inboxOf(runId: string): Inbox {
    let inbox = this.inboxes.get(runId);
    if (!inbox) this.inboxes.set(runId, (inbox = { arrived: [], wake: undefined }));
    return inbox;
  }

  private waitForArrival(inbox: Inbox, timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function done(): void {
        clearTimeout(timer);
        inbox.wake = undefined;
        resolve();
      }
      inbox.wake = done;
    });
  }
}
