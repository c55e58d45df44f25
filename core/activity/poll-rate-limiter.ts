/**
 * `maxActivitiesPerSecond`, as sdk-core enforces it: activity polls start at most `perSecond`
 * times a second, spaced evenly (each poll reserves the next start time before it waits), so
 * tasks are taken no faster than that whatever the slots allow.
 */
export class PollRateLimiter {
  private readonly intervalMs: number;
  private nextAllowedAt = 0;

  constructor(perSecond: number) {
    this.intervalMs = 1000 / perSecond;
  }

  /** Resolves when this poll may start; rejects with the signal's reason if it aborts first. */
  wait(signal: AbortSignal): Promise<void> {
    const now = performance.now();
    const at = Math.max(this.nextAllowedAt, now);
    this.nextAllowedAt = at + this.intervalMs;
    if (at <= now) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, at - now);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
