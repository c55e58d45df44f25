import type { Logger } from '../logger.js';

/** Options of {@link drainOnSignals}. */
export interface SignalOptions {
  /** @default ['SIGTERM', 'SIGINT'] */
  signals?: NodeJS.Signals[];
  /** If the shutdown has not finished after this long, exit 1 anyway. @default undefined (wait) */
  hardDeadlineMs?: number;
  /** @default process.exit */
  exit?: (code: number) => void;
  logger?: Pick<Logger, 'info' | 'error'>;
}

/**
 * First signal: run `shutdown` (which drains within its grace) and exit 0, or 1 if it threw.
 * Second signal: exit 1 at once. Returns a function that removes the handlers.
 */
export function drainOnSignals(shutdown: () => Promise<void>, options: SignalOptions = {}): () => void {
  const { signals = ['SIGTERM', 'SIGINT'], exit = (code) => process.exit(code), logger, hardDeadlineMs } = options;
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger?.error(`Second ${signal}: exiting without waiting for the drain.`);
      exit(1);
      return;
    }
    stopping = true;
    logger?.info(`${signal}: draining every worker; send it again to exit at once.`);
    const deadline = hardDeadlineMs === undefined ? undefined : setTimeout(() => {
      logger?.error(`Shutdown took longer than ${hardDeadlineMs} ms: exiting.`);
      exit(1);
    }, hardDeadlineMs);
    shutdown().then(
      () => {
        clearTimeout(deadline);
        exit(0);
      },
      (error: unknown) => {
        clearTimeout(deadline);
        logger?.error('Shutdown failed', { error });
        exit(1);
      },
    );
  };
  for (const s of signals) process.on(s, onSignal);
  return () => {
    for (const s of signals) process.off(s, onSignal);
  };
}
