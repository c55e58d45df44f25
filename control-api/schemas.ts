/**
 * Every body, query and answer of the control API as a zod schema: the same objects validate
 * requests and generate /openapi.json, so the two cannot drift.
 */
import { z } from 'zod';
import { workerSpecSchema } from '../core/runtime/worker-spec.js';
import { pluginRefSchema } from '../plugins/loader.js';

/** POST /workers */
export const createWorkerBody = workerSpecSchema.describe('A worker spec: task queue, namespace, workflows module, activity plugins, interceptors, limits.');

/** POST /workers/:id/drain */
export const drainBody = z
  .object({ graceMs: z.number().int('must be an integer').min(0, 'must be >= 0').max(3_600_000, 'must be <= 3600000').optional().describe('How long in-flight tasks may run before they are handed back, ms.') })
  .strict();

/** POST /plugins */
export const loadPluginBody = pluginRefSchema.describe('A plugin module specifier plus its options.');

const flag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/** DELETE /workers/:id */
export const deleteWorkerQuery = z.object({ force: flag.optional().describe('Skip the drain: hand in-flight work back at once.') }).strict();

/** POST /workers/:id/drain */
export const drainQuery = z.object({ wait: flag.optional().describe('Answer once DRAINED (default) or at once with 202.') }).strict();

const state = z.enum(['INITIALIZED', 'RUNNING', 'PAUSED', 'DRAINING', 'DRAINED', 'STOPPED', 'FAILED']);
const slots = z.object({ used: z.number().int(), free: z.number().int() });

export const workerInfoSchema = z.object({
  id: z.string(),
  namespace: z.string(),
  taskQueue: z.string(),
  state,
  createdAt: z.string(),
  workflowsPath: z.string().optional(),
  workflowSide: z.enum(['none', 'entity', 'unsupported']),
  activities: z.array(z.string()),
  activityPlugins: z.array(z.string()),
  interceptors: z.array(z.string()),
  nexusServices: z.array(z.string()).optional().describe('Nexus services served; given in-process only.'),
  slots: z.object({ activity: slots, workflow: slots.optional(), nexus: slots.optional() }),
  tasks: z.object({
    activity: z.object({ completed: z.number().int(), failed: z.number().int(), cancelled: z.number().int() }),
    workflow: z.object({ completed: z.number().int(), failed: z.number().int(), queries: z.number().int() }).optional(),
    nexus: z.object({ completed: z.number().int(), operationError: z.number().int(), handlerError: z.number().int() }).optional(),
  }),
  cachedRuns: z.number().int().optional(),
  pollers: z.object({ activity: z.number().int(), workflow: z.number().int(), stickyWorkflow: z.number().int() }).optional(),
  lastError: z.object({ code: z.string(), message: z.string() }).optional(),
  ignored: z.array(z.string()).optional(),
});

export const workerListSchema = z.object({ workers: z.array(workerInfoSchema) });

export const pluginInfoSchema = z.object({
  name: z.string(),
  kind: z.enum(['activity', 'interceptor', 'metrics']),
  module: z.string().optional(),
  activities: z.array(z.string()).optional(),
});

export const pluginListSchema = z.object({
  plugins: z.array(pluginInfoSchema),
  failures: z.array(z.object({ module: z.string(), code: z.string(), message: z.string(), at: z.string() })),
});

export const errorSchema = z.object({
  error: z.object({
    code: z.string().describe('Stable code, listed in docs/errors.md.'),
    message: z.string(),
    fields: z.array(z.object({ path: z.string(), message: z.string() })).optional().describe('One entry per invalid field.'),
  }),
});

export const healthSchema = z.object({ status: z.literal('ok') });

export const readinessSchema = z.object({
  ready: z.boolean(),
  connected: z.boolean(),
  shuttingDown: z.boolean(),
  devServer: z.boolean().describe('Whether the runtime runs on a local dev server it started itself.'),
  workers: z.object({ total: z.number().int(), running: z.number().int(), failed: z.number().int() }),
});
