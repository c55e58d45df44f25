/**
 * `builtin:structured-logging`: one JSON line per activity (start at DEBUG, end at INFO or WARN,
 * with its duration and outcome), the activity's attributes on every line it logs itself, and a
 * workflow interceptor module that does the same for workflow runs.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { withMeta } from '../../core/runtime/worker-factory.js';
import { defineInterceptorPlugin } from '../contracts.js';

export const structuredLoggingOptionsSchema = z
  .object({
    /** Level of the "Activity completed" line. @default 'INFO' */
    level: z.enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
    /** Attributes added to every activity log line (e.g. { service: 'billing' }). @default {} */
    attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
    /** Also log workflow runs from inside the sandbox. @default true */
    workflows: z.boolean().default(true),
  })
  .strict();

/** The workflow interceptor module: `.ts` when run from source, `.js` once built. */
function workflowModule(): string {
  const ts = fileURLToPath(new URL('./workflow-interceptors.ts', import.meta.url));
  return existsSync(ts) ? ts : fileURLToPath(new URL('./workflow-interceptors.js', import.meta.url));
}

export default defineInterceptorPlugin<z.output<typeof structuredLoggingOptionsSchema>>({
  name: 'structured-logging',
  optionsSchema: structuredLoggingOptionsSchema,
  setup({ options, logger }) {
    const log = withMeta(logger, options.attributes);
    return {
      activityInbound: (info) => ({
        async execute(input, next) {
          const started = performance.now();
          const attrs = { activityType: info.activityType, activityId: info.activityId, workflowId: info.workflowExecution?.workflowId, attempt: info.attempt, taskQueue: info.taskQueue };
          log.debug('Activity started', attrs);
          try {
            const result = await next(input);
            log.log(options.level, 'Activity completed', { ...attrs, durationMs: Math.round(performance.now() - started) });
            return result;
          } catch (error) {
            log.warn('Activity failed', { ...attrs, durationMs: Math.round(performance.now() - started), error });
            throw error;
          }
        },
      }),
      activityOutbound: () => ({
        getLogAttributes: (input, next) => next({ ...input, ...options.attributes }),
      }),
      workflowModules: options.workflows ? [workflowModule()] : [],
    };
  },
});
