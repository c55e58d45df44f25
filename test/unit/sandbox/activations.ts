/**
 * Hand-built activations for sandbox tests, filled the way sdk-core fills them, and decoding of
 * the completions the sandbox returns.
 */
import common from '@temporalio/common';
import proto from '@temporalio/proto';

const { WorkflowActivation } = proto.coresdk.workflow_activation;
const { WorkflowActivationCompletion } = proto.coresdk.workflow_completion;

/** A job as a plain object; `fromObject` turns numbers into Longs and `{seconds}` into Timestamps. */
export type Job = Record<string, unknown>;
export type Completion = proto.coresdk.workflow_completion.WorkflowActivationCompletion;

/** Activation time used unless a test says otherwise: 2026-01-01T00:00:00Z. */
export const T0 = Date.UTC(2026, 0, 1);

export const RUN_INFO = { namespace: 'default', taskQueue: 'sandbox-tests' };

/** Both isolation modes: every sandbox behaviour test runs against each (one contract, two implementations). */
export const ISOLATION_MODES = ['shared-context', 'context-per-run'] as const;

function ts(ms: number) {
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
}

export function payloads(...values: unknown[]) {
  return values.map((v) => common.defaultPayloadConverter.toPayload(v));
}

export function fromPayload(payload: proto.temporal.api.common.v1.IPayload | null | undefined): unknown {
  return common.defaultPayloadConverter.fromPayload(payload ?? {});
}

export interface ActivationOptions {
  readonly timestampMs?: number;
  readonly isReplaying?: boolean;
  readonly historyLength?: number;
}

/** Encodes an activation with the given jobs. */
export function activation(runId: string, jobs: Job[], opts: ActivationOptions = {}): Uint8Array {
  const message = WorkflowActivation.fromObject({
    runId,
    timestamp: ts(opts.timestampMs ?? T0),
    isReplaying: opts.isReplaying ?? false,
    historyLength: opts.historyLength ?? 3,
    availableInternalFlags: [1, 2],
    jobs,
  });
  return WorkflowActivation.encode(message).finish();
}

/** The first activation of a run: one initializeWorkflow job, as sdk-core builds it. */
export function startActivation(
  runId: string,
  workflowType: string,
  args: unknown[] = [],
  opts: ActivationOptions & { seed?: number; workflowId?: string } = {},
): Uint8Array {
  const startMs = opts.timestampMs ?? T0;
  return activation(
    runId,
    [
      {
        initializeWorkflow: {
          workflowId: opts.workflowId ?? `wf-${runId}`,
          workflowType,
          arguments: payloads(...args),
          randomnessSeed: opts.seed ?? 42,
          attempt: 1,
          firstExecutionRunId: runId,
          startTime: ts(startMs),
          workflowTaskTimeout: { seconds: 10 },
        },
      },
    ],
    opts,
  );
}

export function decodeCompletion(bytes: Uint8Array): Completion {
  return WorkflowActivationCompletion.decode(bytes);
}

/** The commands of a successful completion; throws with the failure message otherwise. */
export function commandsOf(bytes: Uint8Array) {
  const completion = decodeCompletion(bytes);
  if (completion.failed) throw new Error(`activation failed: ${completion.failed.failure?.message}`);
  return completion.successful?.commands ?? [];
}
