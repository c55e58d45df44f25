import { Connection } from '../core/connection/connection.js';
import { RuntimeError } from '../core/errors.js';
import { WorkerOptionUnsupportedError } from './worker-options.js';
import type { ConnectionInput, HttpConnectProxyOptions, TlsOptions } from '../core/connection/connection-options.js';

/** The official `NativeConnectionOptions` fields this runtime understands (same names, same meaning). */
export interface NativeConnectionOptions {
  /** `host:port` of the frontend. @default 'localhost:7233' */
  address?: string;
  /** TLS; `true` or a config object turns it on, as in `@temporalio/worker`. Implied by `apiKey`. */
  tls?: boolean | TlsOptions | null;
  /** Temporal Cloud API key, sent as `authorization: Bearer …`. */
  apiKey?: string;
  /** Extra gRPC metadata on every call. */
  metadata?: Record<string, string>;
  /** An HTTP CONNECT proxy to reach the server through, as the official `proxy` option. */
  proxy?: HttpConnectProxyOptions;
}

/** The `NativeConnectionOptions` fields {@link NativeConnection.connect} honours. */
const HONOURED = new Set(['address', 'tls', 'apiKey', 'metadata', 'proxy']);

/**
 * A connection with the shape of `@temporalio/worker`'s `NativeConnection`: created with
 * `NativeConnection.connect()`, shared by workers, closed with `close()`.
 *
 * The official one is not bound to a namespace (workers name it); ours opens one
 * {@link Connection} per namespace on demand, since our connection checks its namespace when it
 * connects, as the official worker does at `Worker.create`.
 */
export class NativeConnection {
  private readonly byNamespace = new Map<string, Promise<Connection>>();
  private closed = false;

  private constructor(readonly options: ConnectionInput) {}

  /**
   * Connects and checks that the server answers, as the official `connect` does. An official
   * option this runtime does not honour (`grpcCompression`, `dnsLoadBalancingConfig`,
   * `payloadLimits`, `plugins`, …) is refused by name rather than silently dropped.
   */
  static async connect(options: NativeConnectionOptions = {}): Promise<NativeConnection> {
    for (const [name, value] of Object.entries(options)) {
      if (value !== undefined && !HONOURED.has(name)) throw new WorkerOptionUnsupportedError(name, 'this runtime connects with @grpc/grpc-js and has no counterpart for it', 'NativeConnectionOptions');
    }
    const input: ConnectionInput = {
      address: (options.address ?? '127.0.0.1:7233').replace(/^localhost:/, '127.0.0.1:'),
      ...(options.tls ? { tls: options.tls } : {}),
      ...(options.apiKey ? { apiKey: options.apiKey } : {}),
      ...(options.metadata ? { metadata: options.metadata } : {}),
      ...(options.proxy ? { proxy: options.proxy } : {}),
    };
    const conn = new NativeConnection(input);
    try {
      await conn.forNamespace('default');
    } catch (err) {
      // The server answered; a cluster without a `default` namespace (Temporal Cloud) is fine here.
      if (!(err instanceof RuntimeError && err.code === 'NAMESPACE_NOT_FOUND')) throw err;
    }
    return conn;
  }

  /** The connection of `namespace`, opened on first use. */
  forNamespace(namespace: string): Promise<Connection> {
    if (this.closed) return Promise.reject(new Error('NativeConnection is closed; connect again with NativeConnection.connect().'));
    let conn = this.byNamespace.get(namespace);
    if (!conn) {
      conn = Connection.connect({ ...this.options, namespace });
      // A failed connect is not cached: the next worker may try again once the namespace exists.
      conn.catch(() => this.byNamespace.delete(namespace));
      this.byNamespace.set(namespace, conn);
    }
    return conn;
  }

  /** Closes every namespace's connection. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.byNamespace.values()];
    this.byNamespace.clear();
    await Promise.all(all.map((c) => c.then((x) => x.close(), () => undefined)));
  }
}
