/**
 * Who handles a task that arrived on the process's shared sticky queue.
 *
 * The server only remembers, per run, the *name* of the sticky queue the last completion asked
 * for; it never checks which of our entities polls that queue. So routing is ours: a task goes to
 * the entity that last completed a task of its run (its cache holds the newest state), else to an
 * entity serving the run's normal task queue (`workflowExecutionTaskQueue` in the poll response),
 * which replays from full history like any cache miss. With neither, nobody here can run it.
 */

/** What the shared queue needs from a registered entity. */
export interface StickyTarget {
  /** The entity's normal task queue. */
  readonly taskQueue: string;
  /** False while the entity is paused: its tasks are handed back rather than run. */
  accepting(): boolean;
}

export class StickyRouter<T extends StickyTarget> {
  private readonly byQueue = new Map<string, Set<T>>();
  /** runId → the entity that last completed a task of the run with our sticky queue attached. */
  private readonly owners = new Map<string, T>();

  get size(): number {
    let n = 0;
    for (const set of this.byQueue.values()) n += set.size;
    return n;
  }

  get ownedRuns(): number {
    return this.owners.size;
  }

  list(): T[] {
    return [...this.byQueue.values()].flatMap((set) => [...set]);
  }

  add(target: T): void {
    let set = this.byQueue.get(target.taskQueue);
    if (!set) this.byQueue.set(target.taskQueue, (set = new Set()));
    set.add(target);
  }

  /** Forgets `target` and every run it owned; their next tasks take the miss path. */
  remove(target: T): void {
    const set = this.byQueue.get(target.taskQueue);
    set?.delete(target);
    if (set?.size === 0) this.byQueue.delete(target.taskQueue);
    for (const [runId, owner] of this.owners) if (owner === target) this.owners.delete(runId);
  }

  has(target: T): boolean {
    return this.byQueue.get(target.taskQueue)?.has(target) ?? false;
  }

  /** `target` answered a task of `runId` naming our sticky queue: the server will send the next one here. */
  claim(runId: string, target: T): void {
    if (this.has(target)) this.owners.set(runId, target);
  }

  /** `target` dropped `runId` from its cache; another entity's later claim is left alone. */
  release(runId: string, target: T): void {
    if (this.owners.get(runId) === target) this.owners.delete(runId);
  }

  /**
   * The entity for a task of `runId` whose run's normal queue is `normalQueue`, with whether it
   * holds the run (`hit`). Undefined when no accepting entity can take it.
   */
  route(runId: string, normalQueue: string | undefined): { target: T; hit: boolean } | undefined {
    const owner = this.owners.get(runId);
    if (owner?.accepting()) return { target: owner, hit: true };
    if (!normalQueue) return undefined;
    const candidates = this.byQueue.get(normalQueue);
    if (!candidates) return undefined;
    for (const t of candidates) if (t.accepting()) return { target: t, hit: false };
    return undefined;
  }
}
