/**
 * Evictions that wait for their thread's next task instead of taking a thread hop of their own.
 *
 * A finished workflow is evicted right after its last task is answered; on its own that is one
 * more round trip to the thread per workflow (four instead of three for a one-activity workflow),
 * each paying the hop on both threads. Since the host forgets the run at once (a new activation of
 * the same run id pins it afresh), its disposal in the thread can wait: it rides with the next
 * task sent to that thread, which disposes it before anything else, or goes alone after
 * {@link FLUSH_AFTER_MS} when no task comes.
 */
import type { ThreadSlot } from './thread-slot.js';

/** Longest a disposal waits for a task to ride with: an idle worker frees its runs' memory soon. */
export const FLUSH_AFTER_MS = 20;

interface Pending {
  readonly generation: number;
  readonly runIds: string[];
  readonly timer: NodeJS.Timeout;
}

export class DeferredEvictions {
  readonly #pending = new Map<ThreadSlot, Pending>();
  readonly #flush: (slot: ThreadSlot, runIds: string[]) => void;

  /** @param flush sends `runIds` to `slot` in a task of their own (no task came in time) */
  constructor(flush: (slot: ThreadSlot, runIds: string[]) => void) {
    this.#flush = flush;
  }

  /** Queues the disposal of `runId` on `slot`'s current thread. */
  add(slot: ThreadSlot, runId: string): void {
    const pending = this.#current(slot);
    if (pending !== undefined) {
      pending.runIds.push(runId);
      return;
    }
    const timer = setTimeout(() => {
      const runIds = this.take(slot);
      if (runIds !== undefined) this.#flush(slot, runIds);
    }, FLUSH_AFTER_MS).unref();
    this.#pending.set(slot, { generation: slot.generation, runIds: [runId], timer });
  }

  /**
   * The disposals queued for `slot`, for the task about to be sent there; undefined when none
   * (or only ones of a thread that has died since: its runs went with it).
   */
  take(slot: ThreadSlot): string[] | undefined {
    const pending = this.#current(slot);
    this.#pending.delete(slot);
    if (pending !== undefined) clearTimeout(pending.timer);
    return pending?.runIds;
  }

  /** Every slot with disposals queued, each with them (for a close). */
  takeAll(): Array<[ThreadSlot, string[]]> {
    return [...this.#pending.keys()].flatMap((slot) => {
      const runIds = this.take(slot);
      return runIds === undefined ? [] : [[slot, runIds] as [ThreadSlot, string[]]];
    });
  }

  #current(slot: ThreadSlot): Pending | undefined {
    const pending = this.#pending.get(slot);
    if (pending === undefined || pending.generation === slot.generation) return pending;
    clearTimeout(pending.timer);
    this.#pending.delete(slot);
    return undefined;
  }
}
