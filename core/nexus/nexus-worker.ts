import type { DrainPlan } from '../activity/activity-worker.js';
import type { temporal } from '../connection/proto.js';
import { taskQueuePollLoop, type PollLoop, type QueuePollerDeps } from '../poll-loop.js';
import { settlesBy } from '../settles-by.js';
import { Slots } from '../slots.js';
import type { WorkerVersioning } from '../worker/versioning.js';
import { NexusTask, type NexusOutcome, type NexusTaskDeps } from './nexus-task.js';
import type { JoinableCancel } from '../shutdown-barrier.js';

export interface NexusWorkerDeps extends NexusTaskDeps, QueuePollerDeps {
  /** Build id and deployment version stated on every poll, as sdk-core does for Nexus polls too. */
  versioning?: WorkerVersioning;
  maxConcurrentNexusTaskExecutions: number;
  maxConcurrentNexusTaskPolls: number;
}

/** Counts of answered Nexus tasks. */
export type NexusCounts = Record<NexusOutcome, number>;

/**
 * The Nexus side of a Worker Entity: polls its task queue for Nexus requests (a slot taken before
 * each poll), runs each with the entity's service handlers, and answers it.
 */
export class NexusWorker {
  readonly slots: Slots;
  readonly counts: NexusCounts = { completed: 0, operationError: 0, handlerError: 0 };
  private readonly tasks = new Set<NexusTask>();
  private shuttingDown = false;
  private readonly loop: PollLoop<temporal.api.workflowservice.v1.PollNexusTaskQueueResponse>;

  constructor(private readonly deps: NexusWorkerDeps) {
    this.slots = new Slots(deps.maxConcurrentNexusTaskExecutions);
    const { workerVersionCapabilities, deploymentOptions } = deps.versioning?.pollFields() ?? {};
    this.loop = taskQueuePollLoop(
      'pollNexusTaskQueue',
      { name: 'nexus', pollers: deps.maxConcurrentNexusTaskPolls, slots: this.slots, handle: (task) => this.execute(task), request: { workerVersionCapabilities, deploymentOptions } },
      deps,
    );
  }

  get inFlight(): number {
    return this.tasks.size;
  }

  start(): void {
    this.loop.start();
  }

  pause(): void {
    this.loop.pause();
  }

  resume(): void {
    this.loop.resume();
  }

  /**
   * Stops polling; handlers still running at `graceEnd` have their abort signal fired with a
   * `CancelledFailure('WORKER_SHUTDOWN')`, as the official core asks lang to cancel them. Every
   * task taken is answered (the handler's own answer, usually its cancellation as a HandlerError)
   * before this resolves.
   */
  async drain(plan: DrainPlan, cancelOpenPolls?: JoinableCancel, pollNaturalEndMs = Infinity): Promise<void> {
    const polls = this.loop.stopPolling(Math.max(0, Math.min(plan.graceEnd - performance.now(), pollNaturalEndMs)), cancelOpenPolls);
    const allDone = polls.then(() => this.loop.settled());
    if (!(await settlesBy(allDone, plan.graceEnd))) {
      this.shuttingDown = true;
      for (const task of this.tasks) task.cancel('WORKER_SHUTDOWN');
    }
    await allDone;
  }

  private async execute(polled: temporal.api.workflowservice.v1.IPollNexusTaskQueueResponse): Promise<void> {
    const task = new NexusTask(polled, this.deps);
    this.tasks.add(task);
    if (this.shuttingDown) task.cancel('WORKER_SHUTDOWN');
    try {
      this.counts[await task.run()]++;
    } finally {
      this.tasks.delete(task);
    }
  }
}
