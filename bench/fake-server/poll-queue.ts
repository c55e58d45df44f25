/**
 * One task queue of the fake server: tasks ready to hand out, long polls waiting for one, and an
 * optional producer that makes a fresh task whenever a poll finds none ready.
 */
export interface HeldPoll<T> {
  resolve: (task: T | undefined) => void;
  workerInstanceKey: string;
}

export class PollQueue<T> {
  private readonly ready: T[] = [];
  private readonly waiting = new Set<HeldPoll<T>>();

  /**
   * @param produce makes a new task for a poll that finds none ready, or `undefined` when no more
   *   may be made now (the poll then waits); call {@link pump} when that may have changed.
   * @param holdMs how long an idle poll is held before it is answered empty (the real server
   *   holds ~60 s; short here so a worker's shutdown never waits on the fake).
   */
  constructor(
    private readonly produce: () => T | undefined,
    private readonly holdMs: number,
  ) {}

  get size(): number {
    return this.ready.length;
  }

  /** A task for this queue, handed to a waiting poll at once if there is one. */
  push(task: T): void {
    const poll = this.waiting.values().next().value;
    if (poll) {
      this.waiting.delete(poll);
      poll.resolve(task);
    } else this.ready.push(task);
  }

  /** Removes a ready task that has not been handed out yet; false if it was. */
  remove(task: T): boolean {
    const i = this.ready.indexOf(task);
    if (i < 0) return false;
    this.ready.splice(i, 1);
    return true;
  }

  /** A long poll: a ready or fresh task at once, else waits; `onCancel` registers the call's cancellation. */
  poll(workerInstanceKey: string, onCancel: (fn: () => void) => void): Promise<T | undefined> {
    const task = this.ready.shift() ?? this.produce();
    if (task !== undefined) return Promise.resolve(task);
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(undefined), this.holdMs);
      const held: HeldPoll<T> = { workerInstanceKey, resolve: (t) => finish(t) };
      const finish = (t: T | undefined) => {
        clearTimeout(timer);
        this.waiting.delete(held);
        resolve(t);
      };
      this.waiting.add(held);
      onCancel(() => {
        clearTimeout(timer);
        this.waiting.delete(held);
      });
    });
  }

  /** Hands fresh tasks to waiting polls while the producer makes them. */
  pump(): void {
    for (const poll of this.waiting) {
      const task = this.ready.shift() ?? this.produce();
      if (task === undefined) return;
      this.waiting.delete(poll);
      poll.resolve(task);
    }
  }

  /** Answers the polls of one worker (ShutdownWorker) — or all of them — empty. */
  release(workerInstanceKey?: string): void {
    for (const poll of [...this.waiting]) if (workerInstanceKey === undefined || poll.workerInstanceKey === workerInstanceKey) poll.resolve(undefined);
  }
}
