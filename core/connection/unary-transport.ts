/**
 * How a {@link Connection} sends one unary call: on our own HTTP/2 client (the default,
 * `ConnectionOptions.transport: 'http2'`, see http2-transport.ts) or on grpc-js
 * (`transport: 'grpc-js'`, and through a proxy). Both take and give encoded messages; the
 * Connection owns codecs, retries and errors.
 */
// Types only: grpc-js loads (await import) only when a connection uses it.
import type * as grpc from '@grpc/grpc-js';
import type { status } from './grpc-status.js';

/** A failed call: its gRPC status and the server's (or the transport's) message. */
export interface TransportError extends Error {
  code: status;
  details: string;
}

export interface UnaryTransport {
  /** Resolves with the answer's encoded message; rejects with a {@link TransportError}. */
  unary(path: string, message: Uint8Array, timeoutMs: number, signal?: AbortSignal): Promise<Buffer>;
  /** Ends calls in flight (CANCELLED) and the connection. */
  close(): void;
}

/** The grpc-js generic client, as `@temporalio/client`'s connection uses it. */
export class GrpcJsTransport implements UnaryTransport {
  private readonly client: grpc.Client;

  /** `grpcJs` is the loaded `@grpc/grpc-js` module. */
  constructor(grpcJs: typeof grpc, address: string, credentials: grpc.ChannelCredentials, options: grpc.ChannelOptions, private readonly metadata: grpc.Metadata) {
    this.client = new grpcJs.Client(address, credentials, options);
  }

  unary(path: string, message: Uint8Array, timeoutMs: number, signal?: AbortSignal): Promise<Buffer> {
    // A view, not a copy: grpc-js only reads it.
    const bytes = Buffer.isBuffer(message) ? message : Buffer.from(message.buffer, message.byteOffset, message.byteLength);
    return new Promise((resolve, reject) => {
      const call = this.client.makeUnaryRequest<Buffer, Buffer>(
        path,
        (b) => b,
        (b) => b,
        bytes,
        this.metadata,
        { deadline: Date.now() + timeoutMs },
        (err, value) => {
          signal?.removeEventListener('abort', onAbort);
          if (err) reject(Object.assign(err, { details: err.details || err.message }));
          else resolve(value!);
        },
      );
      const onAbort = () => call.cancel();
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  close(): void {
    this.client.close();
  }
}
