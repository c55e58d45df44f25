import type { Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time.js';
import { z } from 'zod';

/**
 * How long a drain (drain, DELETE, shutdown, SIGTERM) may take, in two steps, as the official
 * worker's `shutdownGraceTime` / `shutdownForceTime`:
 *
 * 1. **grace**: polling stops; tasks in flight finish. Activities still running then are
 *    cancelled (reason WORKER_SHUTDOWN).
 * 2. **force time**: cancelled activities get this long to settle. Any still running after it is
 *    answered as a retryable `WorkerShutdown` failure and its slot freed, whatever its code does,
 *    so a drain always ends within grace + force time.
 */
export interface ShutdownOptions {
  /** Step 1. Official name: `shutdownGraceTime`. @default 30000 */
  drainGraceMs: number;
  /** Step 2. Official name: `shutdownForceTime`. @default 10000 */
  shutdownForceTimeMs: number;
}

/** The one place these defaults live; entity and runtime options read them from here. */
export const shutdownDefaults: ShutdownOptions = {
  drainGraceMs: 30_000,
  shutdownForceTimeMs: 10_000,
};

/** What callers may pass: our `…Ms` numbers, or the official names with a ms number or a duration string (`'5s'`). */
export interface ShutdownInput {
  drainGraceMs?: number;
  shutdownGraceTime?: Duration;
  shutdownForceTimeMs?: number;
  shutdownForceTime?: Duration;
}

const ms = z.number().int().min(0);
/** A duration as the official SDK takes it: ms, or an `ms`-style string; checked here, once. */
export const durationSchema = z.union([
  ms,
  z.string().refine((s) => {
    try {
      return msToNumber(s as Duration) >= 0;
    } catch {
      return false;
    }
  }, "must be a duration: ms, or a string such as '500ms', '5s', '1m'"),
]);

/** Zod fields of {@link ShutdownInput}, to spread into an options schema. */
export const shutdownInputShape = {
  drainGraceMs: ms.optional(),
  shutdownGraceTime: durationSchema.optional(),
  shutdownForceTimeMs: ms.optional(),
  shutdownForceTime: durationSchema.optional(),
};

/**
 * The `…Ms` fields from validated input (official names win over ours when both are given, as
 * the caller most likely copied them from official worker options); unset fields are left out
 * so the caller's defaults apply.
 */
export function compileShutdown(input: ShutdownInput): Partial<ShutdownOptions> {
  const out: Partial<ShutdownOptions> = {};
  const grace = input.shutdownGraceTime ?? input.drainGraceMs;
  const force = input.shutdownForceTime ?? input.shutdownForceTimeMs;
  if (grace !== undefined) out.drainGraceMs = msToNumber(grace);
  if (force !== undefined) out.shutdownForceTimeMs = msToNumber(force);
  return out;
}
