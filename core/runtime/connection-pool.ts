import { statusName } from '../connection/grpc-status.js';
import { Connection, ServiceCallError } from '../connection/connection.js';
import type { ConnectionInput } from '../connection/connection-options.js';
import type { MetricEventSink } from './metric-events.js';

/**
 * One {@link Connection} per namespace, shared by every entity on it; concurrent callers for a
 * namespace share one connect attempt, and a failed attempt is forgotten so the next call retries.
 */
export class ConnectionPool {
  private readonly connections = new Map<string, Promise<Connection>>();
  private readonly open = new Map<string, Connection>();

  constructor(
    private readonly base: Omit<ConnectionInput, 'namespace'>,
    private readonly emit: MetricEventSink,
  ) {}

  get address(): string | undefined {
    return this.base.address;
  }

  /** The connection of `namespace`, connecting (GetSystemInfo, DescribeNamespace) on first use. */
  get(namespace: string): Promise<Connection> {
    let pending = this.connections.get(namespace);
    if (!pending) {
      pending = Connection.connect({ ...this.base, namespace }).then((conn) => {
        this.observe(conn);
        this.open.set(namespace, conn);
        return conn;
      });
      pending.catch(() => this.connections.delete(namespace));
      this.connections.set(namespace, pending);
    }
    return pending;
  }

  /** Connections that have connected. */
  list(): Connection[] {
    return [...this.open.values()];
  }

  /** Asks every open connection's server for GetSystemInfo; true when all answer (and at least one exists). */
  async healthy(timeoutMs = 2_000): Promise<boolean> {
    const conns = this.list();
    if (!conns.length) return false;
    const results = await Promise.allSettled(conns.map((c) => c.call('getSystemInfo', {}, { timeoutMs, retry: false })));
    return results.every((r) => r.status === 'fulfilled');
  }

  async closeAll(): Promise<void> {
    const all = this.list();
    this.connections.clear();
    this.open.clear();
    await Promise.allSettled(all.map((c) => c.close()));
  }

  /**
   * Emits a `request` metric event per call. Connection has no call hook (yet), so this wraps the
   * instance's `call`; see docs/runtime.md for the hook that would replace it.
   */
  private observe(conn: Connection): void {
    const call = conn.call.bind(conn);
    const { emit } = this;
    const namespace = conn.namespace;
    conn.call = async function observedCall(method, request, opts = {}) {
      const started = performance.now();
      const operation = method[0]!.toUpperCase() + method.slice(1);
      let failed = false;
      let statusCode: string | undefined;
      try {
        return await call(method, request, opts);
      } catch (err) {
        // An aborted long poll (pause, drain) is not a failed request.
        failed = !opts.signal?.aborted;
        if (err instanceof ServiceCallError) statusCode = grpcStatusName(err.grpcCode);
        throw err;
      } finally {
        try {
          emit({ type: 'request', namespace, operation, longPoll: opts.longPoll === true, failed, ...(failed && statusCode ? { statusCode } : {}), latencyMs: performance.now() - started });
        } catch {
          // metrics never break a call
        }
      }
    } as Connection['call'];
  }
}

/** A gRPC status as sdk-core labels it (`status_code="NOT_FOUND"`): the status's name. */
function grpcStatusName(code: number): string {
  return statusName(code) ?? String(code);
}
