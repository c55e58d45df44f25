/**
 * What the main thread's protobuf subset (proto.ts) must hold: the request and response of
 * every WorkflowService method the runtime calls, and every type, enum or package its code
 * reads by name. `npm run proto:subset` (scripts/gen-proto-subset.mts) turns this into
 * proto-subset-data.ts; test/unit/connection/proto-subset.test.ts fails when the data is stale,
 * when code calls a method or names a type that is not here, or when a codec differs from the
 * full package's.
 */

/**
 * The WorkflowService methods `Connection.call` takes (its type parameter is this list, so
 * calling another method is a compile error until it is added here and the data regenerated).
 */
export const CALLED_METHODS = [
  'getSystemInfo',
  'describeNamespace',
  'describeTaskQueue',
  'getWorkflowExecutionHistory',
  'pollActivityTaskQueue',
  'pollWorkflowTaskQueue',
  'pollNexusTaskQueue',
  'recordActivityTaskHeartbeat',
  'resetStickyTaskQueue',
  'respondActivityTaskCompleted',
  'respondActivityTaskFailed',
  'respondActivityTaskCanceled',
  'respondNexusTaskCompleted',
  'respondNexusTaskFailed',
  'respondQueryTaskCompleted',
  'respondWorkflowTaskCompleted',
  'respondWorkflowTaskFailed',
  'shutdownWorker',
] as const;

/** One of {@link CALLED_METHODS}. */
export type CalledMethod = (typeof CALLED_METHODS)[number];

/**
 * Types, enums and packages read by name beyond what the methods' messages reach. Enums are
 * cheap, so their whole package is in.
 */
export const NAMED_TYPES = [
  'temporal.api.enums.v1',
  'temporal.api.update.v1',
  'temporal.api.protocol.v1.Message',
  'temporal.api.history.v1.History',
  'temporal.api.common.v1.RetryPolicy',
  'temporal.api.failure.v1.Failure',
  'google.protobuf.Any',
  'google.protobuf.Duration',
  'google.protobuf.Timestamp',
  'coresdk.workflow_activation.WorkflowActivation',
  'coresdk.workflow_completion.WorkflowActivationCompletion',
  'coresdk.child_workflow.ChildWorkflowCancellationType',
  'coresdk.common.VersioningIntent',
  'coresdk.nexus.NexusOperationCancellationType',
  'coresdk.workflow_commands.ActivityCancellationType',
] as const;

/** `getSystemInfo` → `temporal.api.workflowservice.v1.GetSystemInfoRequest` and its Response. */
export function methodMessages(method: string): [request: string, response: string] {
  const name = `temporal.api.workflowservice.v1.${method[0]!.toUpperCase()}${method.slice(1)}`;
  return [`${name}Request`, `${name}Response`];
}

/** Every root of the subset. */
export function protoSubsetRoots(): string[] {
  return [...CALLED_METHODS.flatMap(methodMessages), ...NAMED_TYPES];
}
