/**
 * The WorkflowService as a `@grpc/grpc-js` server definition, built from `@temporalio/proto`'s
 * reflected service: every one of its unary methods, with raw-buffer (de)serializers so each
 * handler decodes only what it needs with the method's own codec.
 */
import * as grpc from '@grpc/grpc-js';
// The whole package: the fake serves every WorkflowService method, beyond the subset the runtime loads.
import proto from '@temporalio/proto';

const { temporal } = proto;

export interface Codec {
  encode(message: unknown): { finish(): Uint8Array };
  decode(bytes: Uint8Array): unknown;
}

export interface MethodInfo {
  /** PascalCase, as on the wire: `PollActivityTaskQueue`. */
  name: string;
  path: string;
  request: Codec;
  response: Codec;
}

const SERVICE = 'temporal.api.workflowservice.v1.WorkflowService';
const passthrough = (b: Buffer): Buffer => b;

/** Every WorkflowService method with its codecs. */
export function workflowServiceMethods(): MethodInfo[] {
  // The reflected Service knows its methods; the namespace holds the static codecs by name.
  const service = temporal.api.workflowservice.v1.WorkflowService as unknown as { methods: Record<string, { requestType: string; responseType: string }> };
  const ns = temporal.api.workflowservice.v1 as unknown as Record<string, Codec>;
  return Object.entries(service.methods).map(([name, m]) => ({
    name,
    path: `/${SERVICE}/${name}`,
    request: ns[m.requestType]!,
    response: ns[m.responseType]!,
  }));
}

/** A handler gets the decoded request and answers with a plain response object (or a gRPC error). */
export type UnaryHandler = (request: unknown, call: grpc.ServerUnaryCall<Buffer, Buffer>) => Promise<unknown>;

/** A gRPC error with a status code, as the real server sends them. */
export class GrpcError extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The server definition and implementation for `handlers` (keyed by PascalCase name); any other
 * method is answered UNIMPLEMENTED and reported through `onUnknown` (to learn what a worker calls).
 */
export function buildService(
  handlers: Partial<Record<string, UnaryHandler>>,
  onUnknown: (method: string) => void,
): { definition: grpc.ServiceDefinition; implementation: grpc.UntypedServiceImplementation } {
  const definition: Record<string, grpc.MethodDefinition<Buffer, Buffer>> = {};
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const m of workflowServiceMethods()) {
    definition[m.name] = {
      path: m.path,
      requestStream: false,
      responseStream: false,
      requestSerialize: passthrough,
      requestDeserialize: passthrough,
      responseSerialize: passthrough,
      responseDeserialize: passthrough,
    };
    const handler = handlers[m.name];
    implementation[m.name] = (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
      if (!handler) {
        onUnknown(m.name);
        callback({ code: grpc.status.UNIMPLEMENTED, details: `fake WorkflowService does not implement ${m.name}` });
        return;
      }
      let request: unknown;
      try {
        request = m.request.decode(call.request);
      } catch (err) {
        callback({ code: grpc.status.INVALID_ARGUMENT, details: `undecodable ${m.name} request: ${(err as Error).message}` });
        return;
      }
      handler(request, call).then(
        (response) => callback(null, Buffer.from(m.response.encode(response ?? {}).finish())),
        (err: unknown) => callback({ code: err instanceof GrpcError ? err.code : grpc.status.INTERNAL, details: (err as Error).message }),
      );
    };
  }
  return { definition, implementation };
}
