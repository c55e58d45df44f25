import protobuf from 'protobufjs/light.js';
import { describe, expect, it } from 'vitest';
import { protoSubset } from '../../../sandbox/thread-proto-subset.js';
import { activation, startActivation } from './activations.js';
import proto from '@temporalio/proto';

const { coresdk } = proto;

describe("the sandbox thread's subset of @temporalio/proto", () => {
  const subset = protobuf.Root.fromJSON(protoSubset());
  const lookup = (name: string) => subset.lookupType(name);

  it('holds the activation and completion types and what they reach, not the rest of the API', () => {
    expect(lookup('coresdk.workflow_activation.WorkflowActivation').fieldsArray.length).toBeGreaterThan(0);
    expect(lookup('coresdk.workflow_completion.WorkflowActivationCompletion').fieldsArray.length).toBeGreaterThan(0);
    expect(lookup('temporal.api.failure.v1.Failure').fieldsArray.length).toBeGreaterThan(0); // reached through failures
    expect(() => subset.lookupType('temporal.api.workflowservice.v1.PollWorkflowTaskQueueResponse')).toThrow();
    expect(subset.lookup('temporal.api.workflowservice.v1.WorkflowService')).toBeNull();
  });

  it('decodes what the full root encodes, and encodes the same bytes', () => {
    const full = coresdk.workflow_activation.WorkflowActivation;
    const jobs = [
      { resolveActivity: { seq: 1, result: { failed: { failure: { message: 'boom', applicationFailureInfo: { type: 'E', nonRetryable: true }, cause: { message: 'inner' } } } } } },
      { signalWorkflow: { signalName: 's', input: [{ metadata: { encoding: new Uint8Array([1, 2]) }, data: new Uint8Array([3]) }] } },
      { doUpdate: { id: 'u', name: 'n', protocolInstanceId: 'p', runValidator: true } },
      { resolveChildWorkflowExecutionStart: { seq: 2, succeeded: { runId: 'r' } } },
    ];
    for (const bytes of [startActivation('run-1', 'wf', ['a', 1]), activation('run-1', jobs)]) {
      const viaSubset = lookup('coresdk.workflow_activation.WorkflowActivation').decode(bytes);
      expect(lookup('coresdk.workflow_activation.WorkflowActivation').toObject(viaSubset, { longs: String })).toEqual(full.toObject(full.decode(bytes), { longs: String }));
      expect(Buffer.from(lookup('coresdk.workflow_activation.WorkflowActivation').encode(viaSubset).finish())).toEqual(Buffer.from(full.encode(full.decode(bytes)).finish()));
    }
    const completion = { runId: 'run-1', successful: { commands: [{ scheduleActivity: { seq: 1, activityId: '1', activityType: 'a', taskQueue: 'q', startToCloseTimeout: { seconds: 5 } } }, { failWorkflowExecution: { failure: { message: 'no' } } }] } };
    const fullCompletion = coresdk.workflow_completion.WorkflowActivationCompletion;
    const subsetCompletion = lookup('coresdk.workflow_completion.WorkflowActivationCompletion');
    expect(Buffer.from(subsetCompletion.encode(subsetCompletion.fromObject(completion)).finish())).toEqual(Buffer.from(fullCompletion.encode(fullCompletion.fromObject(completion)).finish()));
  });
});
