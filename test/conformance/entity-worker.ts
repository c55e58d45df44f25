/**
 * Our WorkerEntity seen through the two things the harness's Runner does with a worker:
 * `worker.shutdown()` (features call it mid-run) and awaiting the promise of `worker.run()`.
 */
import type { WorkerEntity } from '../../core/worker/worker-entity.js';
import type { WorkerLike } from './harness-types.js';

export class EntityWorker implements WorkerLike {
  /** Settles as the official `worker.run()` does: resolves once stopped, rejects if the entity fails. */
  readonly runPromise: Promise<void>;
  private shutdownStarted: number | undefined;

  /** `onShutdown` hears how long each shutdown took, from `shutdown()` to STOPPED (for the report). */
  constructor(
    private readonly entity: WorkerEntity,
    onShutdown: (ms: number) => void = () => undefined,
  ) {
    this.runPromise = new Promise<void>((resolve, reject) => {
      const off = entity.onStateChange((next) => {
        if (next === 'STOPPED') {
          off();
          if (this.shutdownStarted !== undefined) onShutdown(Date.now() - this.shutdownStarted);
          resolve();
        } else if (next === 'FAILED') {
          off();
          const last = entity.status().lastError;
          reject(new Error(`our worker entity failed: ${last ? `${last.code}: ${last.message}` : 'no error recorded'}`));
        }
      });
    });
    // The harness awaits it later (or races it); until then a rejection must not end the process.
    this.runPromise.catch(() => undefined);
  }

  getState(): string {
    return this.entity.state;
  }

  /** Like the official `worker.shutdown()`: returns at once; the run promise settles when done. */
  shutdown(): void {
    this.shutdownStarted ??= Date.now();
    void this.entity
      .drain()
      .then(() => this.entity.close())
      .catch(() => this.entity.close());
  }
}
