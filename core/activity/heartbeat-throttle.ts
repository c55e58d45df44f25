/** Bounds on the heartbeat throttle interval. */
export interface HeartbeatThrottleOptions {
  /** Interval used when the activity has no heartbeat timeout. @default 30000 */
  defaultHeartbeatThrottleIntervalMs: number;
  /** Upper bound of the interval. @default 60000 */
  maxHeartbeatThrottleIntervalMs: number;
}

export const heartbeatThrottleDefaults: HeartbeatThrottleOptions = {
  defaultHeartbeatThrottleIntervalMs: 30_000,
  maxHeartbeatThrottleIntervalMs: 60_000,
};

/**
 * How long to hold heartbeats back: 80 % of the heartbeat timeout, or the default without one,
 * never above the maximum. Same rule as the official SDK, so server-side heartbeat timeouts
 * behave the same on both workers.
 */
export function heartbeatThrottleIntervalMs(heartbeatTimeoutMs: number | undefined, opts: HeartbeatThrottleOptions): number {
  const wanted = heartbeatTimeoutMs && heartbeatTimeoutMs > 0 ? heartbeatTimeoutMs * 0.8 : opts.defaultHeartbeatThrottleIntervalMs;
  return Math.min(wanted, opts.maxHeartbeatThrottleIntervalMs);
}

/**
 * Coalesces heartbeats: the first goes out at once, later ones at most once per interval, always
 * with the latest details. `flush()` sends what is pending (used before the task is answered, so
 * the last details are recorded).
 */
export class HeartbeatThrottle<D> {
  private pending: { details: D } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastSentAt = -Infinity;
  private inFlight: Promise<void> = Promise.resolve();
  private closed = false;
  private sending = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly send: (details: D) => Promise<void>,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Records `details`; sends now if the interval has passed, else schedules one send. */
  heartbeat(details: D): void {
    if (this.closed) return;
    this.pending = { details };
    const wait = this.lastSentAt + this.intervalMs - this.now();
    if (wait <= 0) this.sendPending();
    else this.timer ??= setTimeout(() => this.sendPending(), wait);
  }

  /** Details are pending or a send has not settled: {@link flush} has something to wait for. */
  get busy(): boolean {
    return this.pending !== undefined || this.sending > 0;
  }

  /** Sends pending details, if any, and waits for every send to settle. */
  async flush(): Promise<void> {
    this.sendPending();
    await this.inFlight;
  }

  /** Drops pending details and stops the timer. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
  }

  private sendPending(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.pending) return;
    const { details } = this.pending;
    this.pending = undefined;
    this.lastSentAt = this.now();
    // Sends are chained so details reach the server in the order they were given.
    this.sending++;
    this.inFlight = this.inFlight
      .then(() => this.send(details))
      .catch(() => undefined)
      .then(() => void this.sending--);
  }
}
