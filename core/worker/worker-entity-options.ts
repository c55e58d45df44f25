import { hostname } from 'node:os';
import { z } from 'zod';
import type { ActivityFunction } from '../activity/activity-execution.js';

/** Options of one Worker Entity (one namespace + one task queue). */
export interface WorkerEntityOptions {
  /** The task queue this entity polls. */
  taskQueue: string;
  /** Sent with every poll and answer. @default `${pid}@${hostname}` */
  identity: string;
  /** Activities by type name. */
  activities: Record<string, ActivityFunction>;
  /** Activity tasks run at once; no poll happens without a free slot. @default 100 */
  maxConcurrentActivityTaskExecutions: number;
  /** Concurrent activity long polls, capped by the slots. @default 10 */
  maxConcurrentActivityTaskPolls: number;
  /** Heartbeat throttle without a heartbeat timeout. @default 30000 */
  defaultHeartbeatThrottleIntervalMs: number;
  /** Heartbeat throttle upper bound. @default 60000 */
  maxHeartbeatThrottleIntervalMs: number;
  /** Default grace of {@link WorkerEntity.drain}. @default 30000 */
  drainGraceMs: number;
}

export const workerEntityDefaults: Omit<WorkerEntityOptions, 'taskQueue' | 'activities'> & { activities: Record<string, ActivityFunction> } = {
  identity: `${process.pid}@${hostname()}`,
  activities: {},
  maxConcurrentActivityTaskExecutions: 100,
  maxConcurrentActivityTaskPolls: 10,
  defaultHeartbeatThrottleIntervalMs: 30_000,
  maxHeartbeatThrottleIntervalMs: 60_000,
  drainGraceMs: 30_000,
};

export type WorkerEntityInput = Pick<WorkerEntityOptions, 'taskQueue'> & Partial<Omit<WorkerEntityOptions, 'taskQueue'>>;

const positiveInt = z.number().int().positive();

export const workerEntityInputSchema = z
  .object({
    taskQueue: z.string().min(1).max(1000),
    identity: z.string().min(1).max(1000).optional(),
    activities: z.record(z.string().min(1), z.custom<ActivityFunction>((v) => typeof v === 'function', 'must be a function')).optional(),
    maxConcurrentActivityTaskExecutions: positiveInt.optional(),
    maxConcurrentActivityTaskPolls: positiveInt.optional(),
    defaultHeartbeatThrottleIntervalMs: positiveInt.optional(),
    maxHeartbeatThrottleIntervalMs: positiveInt.optional(),
    drainGraceMs: z.number().int().min(0).optional(),
  })
  .strict();
