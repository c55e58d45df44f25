import type { WorkflowRunState } from '../workflow/index.js';

/** A cached run: its command state plus a lock, since a legacy query may race a workflow task. */
export interface CachedRun {
  readonly state: WorkflowRunState;
  /** Tail of the run's task chain; tasks of one run are handled one at a time. */
  tail: Promise<void>;
  busy: number;
}

/**
 * The sticky cache: runs by id, least recently used first. Eviction of the sandbox side is the
 * caller's business; this only picks victims, never a run with a task in progress.
 */
export class WorkflowRunCache {
  private readonly runs = new Map<string, CachedRun>();

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.runs.size;
  }

  get(runId: string): CachedRun | undefined {
    const run = this.runs.get(runId);
    if (run) {
      // Re-insert to mark as most recently used (Map keeps insertion order).
      this.runs.delete(runId);
      this.runs.set(runId, run);
    }
    return run;
  }

  /** Like {@link get}, without marking the run as used. */
  peek(runId: string): CachedRun | undefined {
    return this.runs.get(runId);
  }

  set(runId: string, run: CachedRun): void {
    this.runs.delete(runId);
    this.runs.set(runId, run);
  }

  delete(runId: string): boolean {
    return this.runs.delete(runId);
  }

  /** Ids of idle runs to evict so that one more fits, oldest first. */
  victimsForOneMore(): string[] {
    const over = this.runs.size + 1 - this.capacity;
    const victims: string[] = [];
    if (over <= 0) return victims;
    for (const [id, run] of this.runs) {
      if (victims.length >= over) break;
      if (run.busy === 0) victims.push(id);
    }
    return victims;
  }

  ids(): string[] {
    return [...this.runs.keys()];
  }
}
