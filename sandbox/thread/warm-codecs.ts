/**
 * protobufjs generates each message type's encoder and decoder on its first use, a few ms per
 * type. A thread's first activation would pay for those of the activation and completion types
 * while a workflow task waits; a bundle's preparation pays for them instead, by encoding and
 * decoding one activation and one completion of the usual shape.
 */
import proto from '@temporalio/proto';

const { WorkflowActivation } = proto.coresdk.workflow_activation;
const { WorkflowActivationCompletion } = proto.coresdk.workflow_completion;

let warmed = false;

/** Generates the codecs a first activation and its completion use; once per thread. */
export function warmCodecs(): void {
  if (warmed) return;
  warmed = true;
  const payload = { metadata: { encoding: new Uint8Array([1]) }, data: new Uint8Array([1]) };
  const timestamp = { seconds: 1, nanos: 1 };
  const duration = { seconds: 1, nanos: 1 };
  // fromObject turns the numbers into the Longs and Timestamps the generated types want.
  const activation = WorkflowActivation.encode(WorkflowActivation.fromObject({
    runId: 'prewarm',
    timestamp,
    isReplaying: false,
    historyLength: 3,
    availableInternalFlags: [1],
    jobs: [
      {
        initializeWorkflow: {
          workflowId: 'prewarm',
          workflowType: 'prewarm',
          arguments: [payload],
          headers: { h: payload },
          randomnessSeed: 1,
          attempt: 1,
          firstExecutionRunId: 'prewarm',
          startTime: timestamp,
          workflowTaskTimeout: duration,
          memo: { fields: { m: payload } },
          searchAttributes: { indexedFields: { s: payload } },
          retryPolicy: { initialInterval: duration, maximumAttempts: 1 },
        },
      },
      { resolveActivity: { seq: 1, result: { completed: { result: payload } } } },
      { fireTimer: { seq: 1 } },
      { signalWorkflow: { signalName: 's', input: [payload], headers: { h: payload } } },
    ],
  })).finish();
  WorkflowActivation.decode(activation);
  const completion = WorkflowActivationCompletion.encode(WorkflowActivationCompletion.fromObject({
    runId: 'prewarm',
    successful: {
      commands: [
        { scheduleActivity: { seq: 1, activityId: '1', activityType: 'a', taskQueue: 'q', arguments: [payload], headers: { h: payload }, startToCloseTimeout: duration, retryPolicy: { initialInterval: duration } } },
        { startTimer: { seq: 1, startToFireTimeout: duration } },
        { completeWorkflowExecution: { result: payload } },
      ],
    },
  })).finish();
  WorkflowActivationCompletion.decode(completion);
}
