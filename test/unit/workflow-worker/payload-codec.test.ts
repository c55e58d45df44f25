import type { Payload, PayloadCodec, SerializationContext } from '@temporalio/common';
import proto from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { WorkflowPayloadCodec } from '../../../core/workflow-worker/payload-codec.js';

const text = (s: string) => new TextEncoder().encode(s);
const read = (p: Payload | null | undefined) => new TextDecoder().decode(p?.data ?? new Uint8Array());

/** Wraps data in `enc(...)` / unwraps it, and records the context of every call. */
class RecordingCodec implements PayloadCodec {
  readonly calls: string[] = [];
  async encode(payloads: Payload[], context?: SerializationContext): Promise<Payload[]> {
    this.calls.push(`encode ${contextName(context)}`);
    return payloads.map((p) => ({ ...p, data: text(`enc(${read(p)})`) }));
  }
  async decode(payloads: Payload[], context?: SerializationContext): Promise<Payload[]> {
    this.calls.push(`decode ${contextName(context)}`);
    return payloads.map((p) => ({ ...p, data: text(read(p).replace(/^enc\((.*)\)$/, '$1')) }));
  }
}
function contextName(context?: SerializationContext): string {
  return context?.type === 'activity' ? `activity:${context.activityId}` : `workflow:${context?.workflowId}`;
}

describe('WorkflowPayloadCodec', () => {
  it('is absent without codecs', () => {
    expect(WorkflowPayloadCodec.of([])).toBeUndefined();
    expect(WorkflowPayloadCodec.of(undefined)).toBeUndefined();
  });

  it('decodes activations into a copy, encodes completions in place, with the official serialization contexts', async () => {
    const recorder = new RecordingCodec();
    const codec = WorkflowPayloadCodec.of([recorder])!;
    const run = { namespace: 'ns', workflowId: 'wf-1' };
    const activation = {
      runId: 'r',
      jobs: [{ initializeWorkflow: { workflowType: 't', workflowId: 'wf-1', arguments: [{ metadata: {}, data: text('enc(arg)') }] } }],
    };
    const decoded = await codec.decodeActivation(activation, run);
    expect(read(decoded.jobs?.[0]?.initializeWorkflow?.arguments?.[0])).toBe('arg');
    expect(read(activation.jobs[0]!.initializeWorkflow.arguments[0])).toBe('enc(arg)'); // the original is untouched

    const completion = proto.coresdk.workflow_completion.WorkflowActivationCompletion.fromObject({
      runId: 'r',
      successful: { commands: [{ scheduleActivity: { seq: 1, activityId: 'a-1', activityType: 'x', arguments: [{ metadata: {}, data: text('in') }] } }] },
    });
    await codec.encodeCompletion(completion, run);
    expect(read(completion.successful?.commands?.[0]?.scheduleActivity?.arguments?.[0])).toBe('enc(in)');

    const resolved = await codec.decodeActivation({ runId: 'r', jobs: [{ resolveActivity: { seq: 1, result: { completed: { result: { metadata: {}, data: text('enc(out)') } } } } }] }, run);
    expect(read(resolved.jobs?.[0]?.resolveActivity?.result?.completed?.result)).toBe('out');
    expect(recorder.calls).toEqual(['decode workflow:wf-1', 'encode activity:a-1', 'decode activity:a-1']);
  });
});
