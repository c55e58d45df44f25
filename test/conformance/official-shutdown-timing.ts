/**
 * Times the official worker's shutdowns (from `shutdown()` until its `run()` promise settles), so
 * the report can set them beside ours (entity-worker.ts). Only wraps the two methods; the
 * worker behaves as before.
 */
import { Worker } from '@temporalio/worker';

export function timeOfficialShutdowns(onShutdown: (ms: number) => void): void {
  const proto = Worker.prototype;
  const shutdown = proto.shutdown;
  const run = proto.run;
  const started = new WeakMap<Worker, number>();
  proto.shutdown = function (this: Worker): void {
    if (!started.has(this)) started.set(this, Date.now());
    shutdown.call(this);
  };
  proto.run = async function (this: Worker): Promise<void> {
    try {
      await run.call(this);
    } finally {
      const t = started.get(this);
      if (t !== undefined) onShutdown(Date.now() - t);
    }
  };
}
