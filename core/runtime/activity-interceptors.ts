import { asyncLocalStorage, type Info } from '@temporalio/activity';
import type { ActivityExecutionDeps } from '../activity/activity-execution.js';
import { levelOf, loggerFrom, type Logger } from '../logger.js';
import type { ActivityExecuteInput, InterceptorPlugin } from '../../plugins/contracts.js';

/**
 * Chains the inbound interceptors of `plugins` around the activity function, the first plugin
 * outermost (as the official SDK orders them). Undefined when none has one, so the entity keeps
 * its direct call.
 */
export function composeActivityInvoke(plugins: readonly InterceptorPlugin[]): ActivityExecutionDeps['invoke'] {
  const inbound = plugins.filter((p) => p.activityInbound);
  if (!inbound.length) return undefined;
  return (info, fn, args, headers) => {
    let next = (input: ActivityExecuteInput): Promise<unknown> => Promise.resolve(fn(...input.args));
    for (const p of [...inbound].reverse()) {
      const interceptor = p.activityInbound!(info);
      if (!interceptor.execute) continue;
      const inner = next;
      next = (input) => interceptor.execute!(input, inner);
    }
    return next({ info, args, headers });
  };
}

/** The attributes the official SDK puts on activity log lines. */
export function activityLogAttributes(info: Info): Record<string, unknown> {
  return {
    namespace: info.activityNamespace,
    taskQueue: info.taskQueue,
    workflowId: info.workflowExecution?.workflowId,
    workflowRunId: info.workflowExecution?.runId,
    workflowType: info.workflowType,
    activityId: info.activityId,
    activityType: info.activityType,
    attempt: info.attempt,
    isLocal: info.isLocal,
  };
}

/**
 * A logger that, inside an activity (`Context.current().log`), adds the activity's attributes as
 * shaped by the outbound interceptors' `getLogAttributes`. Outside an activity it passes through.
 */
export function activityAwareLogger(base: Logger, plugins: readonly InterceptorPlugin[]): Logger {
  const outbound = plugins.filter((p) => p.activityOutbound);
  const attributes = (info: Info): Record<string, unknown> => {
    let next = (input: Record<string, unknown>) => input;
    for (const p of [...outbound].reverse()) {
      const get = p.activityOutbound!(info).getLogAttributes;
      if (!get) continue;
      const inner = next;
      next = (input) => get(input, inner);
    }
    return next(activityLogAttributes(info));
  };
  return loggerFrom((level, message, meta) => {
    const ctx = asyncLocalStorage.getStore() as { info?: Info } | undefined;
    base.log(level, message, ctx?.info ? { ...attributes(ctx.info), ...meta } : meta);
  }, levelOf(base));
}
