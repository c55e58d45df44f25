import { asyncLocalStorage, type Info } from '@temporalio/activity';
import { describe, expect, it } from 'vitest';
import { activityAwareLogger, composeActivityInvoke } from '../../../core/runtime/activity-interceptors.js';
import type { InterceptorPlugin } from '../../../plugins/contracts.js';
import type { LogLevel, LogMetadata } from '../../../core/logger.js';

const info = { activityType: 'charge', activityId: '1', attempt: 2, taskQueue: 'q', activityNamespace: 'ns', workflowExecution: { workflowId: 'wf', runId: 'r' }, workflowType: 'order', isLocal: false } as unknown as Info;

describe('activity interceptors', () => {
  it('chains inbound interceptors, the first plugin outermost, and lets them rewrite arguments', async () => {
    const order: string[] = [];
    const plugin = (name: string, rewrite?: (a: unknown[]) => unknown[]): InterceptorPlugin => ({
      name,
      activityInbound: () => ({
        async execute(input, next) {
          order.push(`${name}>`);
          const r = await next(rewrite ? { ...input, args: rewrite(input.args) } : input);
          order.push(`<${name}`);
          return r;
        },
      }),
    });
    const invoke = composeActivityInvoke([plugin('a'), { name: 'none' }, plugin('b', (args) => args.map((x) => (x as number) * 10))])!;
    expect(await invoke(info, async (x: number) => x + 1, [4], {})).toBe(41);
    expect(order).toEqual(['a>', 'b>', '<b', '<a']);
    expect(composeActivityInvoke([{ name: 'none' }])).toBeUndefined();
  });

  it('hands the activity headers to inbound interceptors', async () => {
    const seen: unknown[] = [];
    const trace = { metadata: { encoding: new TextEncoder().encode('json/plain') }, data: new TextEncoder().encode('"t-1"') };
    const invoke = composeActivityInvoke([{ name: 'h', activityInbound: () => ({ execute: (input, next) => (seen.push(input.headers), next(input)) }) }])!;
    await invoke(info, async () => 'ok', [], { traceparent: trace });
    expect(seen).toEqual([{ traceparent: trace }]);
  });

  it('adds activity attributes, shaped by outbound interceptors, to lines logged inside an activity', () => {
    const lines: Array<[LogLevel, string, LogMetadata | undefined]> = [];
    const base = { log: (l: LogLevel, m: string, meta?: LogMetadata) => void lines.push([l, m, meta]) } as Parameters<typeof activityAwareLogger>[0];
    const logger = activityAwareLogger(base, [{ name: 'o', activityOutbound: () => ({ getLogAttributes: (a, next) => next({ ...a, service: 'billing' }) }) }]);
    logger.info('outside');
    asyncLocalStorage.run({ info } as never, () => logger.warn('inside', { extra: 1 }));
    expect(lines[0]).toEqual(['INFO', 'outside', undefined]);
    expect(lines[1]![2]).toMatchObject({ activityType: 'charge', workflowId: 'wf', attempt: 2, service: 'billing', extra: 1 });
  });
});
