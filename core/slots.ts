
/**
 * A counting semaphore for task slots. A poller takes a slot *before* it polls, so the entity
 * never receives a task it cannot start at once.
 */
export class Slots {
  private used = 0;
  private waiters: Array<() => void> = [];

  constructor(readonly capacity: number) {}

  get inUse(): number {
    return this.used;
  }

  get available(): number {
    return this.capacity - this.used;
  }

  /** Waits for a free slot; rejects with the signal's reason if it aborts first. */
  async acquire(signal?: AbortSignal): Promise<void> {
    while (this.used >= this.capacity) {
      if (signal?.aborted) throw signal.reason;
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          this.waiters = this.waiters.filter((w) => w !== wake);
          reject(signal!.reason);
        };
        const wake = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        this.waiters.push(wake);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    }
    if (signal?.aborted) throw signal.reason;
    this.used++;
  }

  /** Takes up to `n` free slots without waiting; returns how many it took. */
  tryAcquire(n: number): number {
    const taken = Math.max(0, Math.min(n, this.capacity - this.used));
    this.used += taken;
    return taken;
  }

  release(): void {
    this.used--;
    this.waiters.shift()?.();
  }
}

