import type { RetryOptions } from './connection-options.js';

/** Delay before retry number `attempt` (1-based): exponential, capped, with symmetric jitter. */
export function backoffDelayMs(attempt: number, opts: RetryOptions, random: () => number = Math.random): number {
  const base = Math.min(opts.maxIntervalMs, opts.initialIntervalMs * opts.backoffCoefficient ** (attempt - 1));
  const spread = base * opts.jitter;
  return Math.max(0, base - spread + random() * 2 * spread);
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
