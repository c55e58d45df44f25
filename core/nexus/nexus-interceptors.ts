/**
 * Nexus interceptors in the official worker's shape (`WorkerOptions.interceptors.nexus`): one
 * factory call per task with its operation context; inbound ones wrap the handler's start and
 * cancel, outbound ones add log attributes and metric tags.
 */
import type { MetricTags } from '@temporalio/common';
import { composeInterceptors } from '@temporalio/common/lib/interceptors.js';
import type * as nexus from 'nexus-rpc';

export interface NexusStartOperationInput {
  readonly ctx: nexus.StartOperationContext;
  readonly input: unknown;
}

export interface NexusStartOperationOutput {
  readonly result: nexus.HandlerStartOperationResult<unknown>;
}

export interface NexusCancelOperationInput {
  readonly ctx: nexus.CancelOperationContext;
  readonly token: string;
}

export interface NexusInboundCallsInterceptor {
  startOperation?: (input: NexusStartOperationInput, next: (input: NexusStartOperationInput) => Promise<NexusStartOperationOutput>) => Promise<NexusStartOperationOutput>;
  cancelOperation?: (input: NexusCancelOperationInput, next: (input: NexusCancelOperationInput) => Promise<void>) => Promise<void>;
}

export interface NexusOutboundCallsInterceptor {
  getLogAttributes?: (input: Record<string, unknown>, next: (input: Record<string, unknown>) => Record<string, unknown>) => Record<string, unknown>;
  getMetricTags?: (input: MetricTags, next: (input: MetricTags) => MetricTags) => MetricTags;
}

export interface NexusInterceptors {
  inbound?: NexusInboundCallsInterceptor;
  outbound?: NexusOutboundCallsInterceptor;
}

export type NexusInterceptorsFactory = (ctx: nexus.OperationContext) => NexusInterceptors;

/** The interceptors of one task, composed in registration order (the first is outermost). */
export class TaskInterceptors {
  private readonly inbound: NexusInboundCallsInterceptor[] = [];
  private readonly outbound: NexusOutboundCallsInterceptor[] = [];

  constructor(factories: readonly NexusInterceptorsFactory[], ctx: nexus.OperationContext) {
    for (const factory of factories) {
      const { inbound, outbound } = factory(ctx);
      if (inbound) this.inbound.push(inbound);
      if (outbound) this.outbound.push(outbound);
    }
  }

  start(input: NexusStartOperationInput, next: (input: NexusStartOperationInput) => Promise<NexusStartOperationOutput>): Promise<NexusStartOperationOutput> {
    return composeInterceptors(this.inbound, 'startOperation', next)(input);
  }

  cancel(input: NexusCancelOperationInput, next: (input: NexusCancelOperationInput) => Promise<void>): Promise<void> {
    return composeInterceptors(this.inbound, 'cancelOperation', next)(input);
  }

  logAttributes(base: Record<string, unknown>): Record<string, unknown> {
    return composeInterceptors(this.outbound, 'getLogAttributes', (a: Record<string, unknown>) => a)(base);
  }

  metricTags(base: MetricTags): MetricTags {
    return composeInterceptors(this.outbound, 'getMetricTags', (t: MetricTags) => t)(base);
  }
}
