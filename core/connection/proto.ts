/**
 * `temporal`, `coresdk` and `google` as `@temporalio/proto` has them, for the main thread's own
 * use: types from the package, values from a subset root of only the types the runtime uses
 * (proto-runtime.ts; proto-subset-roots.ts says which), which builds in a fraction of the full
 * root's time, on every start. Import this, not `@temporalio/proto`, in core code.
 *
 * How: the namespaces below are declarations only (no code is emitted for them, and the package
 * import is elided), so they give the names their types; the values of the same names come from
 * the `export *`, which the local declarations shadow for the type checker only.
 */
// The default import is deliberate: `import { temporal } from '@temporalio/proto'` type-checks but
// fails under plain Node ESM and tsx, because the package is CommonJS with a computed export.
import proto from '@temporalio/proto';

export declare namespace temporal {
  export import api = proto.temporal.api;
}
export declare namespace coresdk {
  export import activity_result = proto.coresdk.activity_result;
  export import activity_task = proto.coresdk.activity_task;
  export import child_workflow = proto.coresdk.child_workflow;
  export import common = proto.coresdk.common;
  export import external_data = proto.coresdk.external_data;
  export import nexus = proto.coresdk.nexus;
  export import workflow_activation = proto.coresdk.workflow_activation;
  export import workflow_commands = proto.coresdk.workflow_commands;
  export import workflow_completion = proto.coresdk.workflow_completion;
}
export declare namespace google {
  export import protobuf = proto.google.protobuf;
}
export * from './proto-runtime.js';
