/**
 * Unary gRPC calls on our own HTTP/2 client (./h2/h2-session.ts): one connection, one stream per
 * call, the 5-byte length-prefixed message, `grpc-status` from the trailers. It exists because a
 * worker's calls are all unary and small, and both grpc-js and `node:http2` spend more CPU per
 * call than the rest of the activity path: against the benchmark's fake server a poll plus its
 * answer cost 0.33–0.44 ms of client CPU through grpc-js, 0.134 ms on `node:http2`, and less on
 * this transport (bench/README.md, "CPU per activity").
 *
 * What grpc-js would do that matters here is kept: TLS with ALPN h2 and a server name override,
 * keepalive pings, deadlines (`grpc-timeout` and a local timer), cancellation, the receive size
 * limit, a new connection after GOAWAY or a dropped one (a call the server never took is sent
 * again on it, as grpc-js's transparent retry does), and the gRPC status mapping of HTTP/2 resets
 * and HTTP errors. Not kept: compression (never asked for), name resolution beyond one
 * `host:port`, load balancing. Calls through a proxy stay on grpc-js (core/connection/connection.ts).
 */
import { status } from './grpc-status.js';
import { ErrorCode } from './h2/frames.js';
import { H2Session, type StreamHandle, type StreamOutcome } from './h2/h2-session.js';
import { encodeIndexed, encodeLiteral, type HeaderList } from './h2/hpack.js';
import type { TransportError, UnaryTransport } from './unary-transport.js';

export interface Http2TransportOptions {
  address: string;
  /** `false`: plaintext (h2c). */
  tls: false | { ca?: Buffer; cert?: Buffer; key?: Buffer; serverNameOverride?: string };
  /** Sent with every call (lower-case keys). */
  headers: Record<string, string>;
  maxReceiveMessageBytes: number;
  keepaliveTimeMs: number;
  keepaliveTimeoutMs: number;
}

function transportError(code: status, details: string): TransportError {
  return Object.assign(new Error(details), { code, details });
}

/** gRPC's mapping of an HTTP status without a gRPC status (a proxy's answer). */
function fromHttpStatus(httpStatus: number): status {
  if (httpStatus === 400) return status.INTERNAL;
  if (httpStatus === 401) return status.UNAUTHENTICATED;
  if (httpStatus === 403) return status.PERMISSION_DENIED;
  if (httpStatus === 404) return status.UNIMPLEMENTED;
  if ([429, 502, 503, 504].includes(httpStatus)) return status.UNAVAILABLE;
  return status.UNKNOWN;
}

/** gRPC's mapping of a stream reset. */
function fromRstCode(rst: number): status {
  if (rst === ErrorCode.CANCEL) return status.CANCELLED;
  if (rst === ErrorCode.ENHANCE_YOUR_CALM) return status.RESOURCE_EXHAUSTED;
  if (rst === ErrorCode.INADEQUATE_SECURITY) return status.PERMISSION_DENIED;
  if (rst === ErrorCode.REFUSED_STREAM || rst === ErrorCode.NO_ERROR) return status.UNAVAILABLE;
  return status.INTERNAL;
}

function header(list: HeaderList | undefined, name: string): string | undefined {
  if (list) for (const [n, v] of list) if (n === name) return v;
  return undefined;
}

/** `host:port` or `[v6]:port`. */
function hostAndPort(address: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(address) ?? /^([^:]+):(\d+)$/.exec(address);
  if (!m) throw new Error(`address "${address}" is not host:port`);
  return { host: m[1]!, port: Number(m[2]) };
}

/** `grpc-timeout`: at most 8 digits, in the finest unit that fits. */
function grpcTimeout(ms: number): string {
  const t = Math.max(1, Math.ceil(ms));
  return t < 1e8 ? `${t}m` : `${Math.ceil(t / 1000)}S`;
}

/** What an ended stream means for the call. */
function settle(outcome: StreamOutcome, maxReceive: number): { error: TransportError } | { value: Buffer } {
  switch (outcome.kind) {
    case 'refused':
    case 'lost':
      return { error: transportError(status.UNAVAILABLE, outcome.message) };
    case 'reset':
      return { error: transportError(fromRstCode(outcome.code), `stream reset by the server (HTTP/2 code ${outcome.code})`) };
    case 'too-large':
      return { error: transportError(status.RESOURCE_EXHAUSTED, `Received message larger than max (${outcome.received - 5} vs. ${maxReceive})`) };
    case 'ended': {
      // A trailers-only answer (an error) carries its status in the headers.
      const statusList = outcome.trailers ?? outcome.headers;
      const grpcStatus = header(statusList, 'grpc-status');
      const httpStatus = Number(header(outcome.headers, ':status') ?? 200);
      if (grpcStatus === undefined) {
        return { error: transportError(httpStatus !== 200 ? fromHttpStatus(httpStatus) : status.UNAVAILABLE, httpStatus !== 200 ? `HTTP status ${httpStatus}` : 'stream closed without a gRPC status') };
      }
      if (Number(grpcStatus) !== status.OK) return { error: transportError(Number(grpcStatus), safeDecode(header(statusList, 'grpc-message') ?? '')) };
      const { chunks } = outcome;
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      if (body.length < 5) return { error: transportError(status.INTERNAL, 'answer without a message') };
      if (body[0] !== 0) return { error: transportError(status.INTERNAL, 'compressed answer (not requested)') };
      return { value: body.subarray(5, 5 + body.readUInt32BE(1)) };
    }
  }
}

export class Http2Transport implements UnaryTransport {
  private session: H2Session | undefined;
  private closed = false;
  private readonly target: { host: string; port: number };
  /** `:method` and `:scheme`: the pseudo-headers before `:path`. */
  private readonly blockStart: Buffer;
  /** `:authority` and the headers every call sends, after `:path`. */
  private readonly blockRest: Buffer;
  /** Header blocks by `:path` and `grpc-timeout`: the calls of a worker use a handful. */
  private readonly blocks = new Map<string, Buffer>();

  constructor(private readonly opts: Http2TransportOptions) {
    this.target = hostAndPort(opts.address);
    this.blockStart = Buffer.concat([encodeIndexed(':method', 'POST'), encodeIndexed(':scheme', opts.tls ? 'https' : 'http')]);
    const authority = (opts.tls && opts.tls.serverNameOverride) || opts.address;
    this.blockRest = Buffer.concat([
      encodeLiteral(':authority', authority),
      encodeLiteral('content-type', 'application/grpc'),
      encodeLiteral('te', 'trailers'),
      encodeLiteral('user-agent', 'tempo-worker-runtime'),
      ...Object.entries(opts.headers).map(([k, v]) => encodeLiteral(k, v)),
    ]);
  }

  unary(path: string, message: Uint8Array, timeoutMs: number, signal?: AbortSignal): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      if (this.closed) return reject(transportError(status.UNAVAILABLE, 'the connection is closed'));
      const block = this.headerBlock(path, grpcTimeout(timeoutMs));
      let stream: StreamHandle | undefined;
      let settled = false;
      const finish = (err: TransportError | undefined, value?: Buffer) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve(value!);
      };
      const timer = setTimeout(() => {
        stream?.cancel();
        finish(transportError(status.DEADLINE_EXCEEDED, `Deadline exceeded after ${timeoutMs} ms`));
      }, timeoutMs);
      const onAbort = () => {
        stream?.cancel();
        finish(transportError(status.CANCELLED, 'Cancelled on client'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const send = (again: boolean) => {
        let session: H2Session;
        try {
          session = this.liveSession();
        } catch (err) {
          return finish(transportError(status.UNAVAILABLE, (err as Error).message));
        }
        stream = session.request(block, message, (outcome) => {
          // The server never took it (GOAWAY, a connection that was already going): once more on a new one.
          if (outcome.kind === 'refused' && !again && !settled && !this.closed) return send(true);
          if (this.closed && (outcome.kind === 'lost' || outcome.kind === 'refused')) return finish(transportError(status.CANCELLED, 'the connection was closed'));
          const r = settle(outcome, this.opts.maxReceiveMessageBytes);
          if ('error' in r) finish(r.error);
          else finish(undefined, r.value);
        });
      };
      send(false);
    });
  }

  private headerBlock(path: string, timeout: string): Buffer {
    const key = `${path} ${timeout}`;
    let block = this.blocks.get(key);
    if (!block) {
      if (this.blocks.size >= 256) this.blocks.clear(); // odd deadlines; never more than a few
      block = Buffer.concat([this.blockStart, encodeLiteral(':path', path), this.blockRest, encodeLiteral('grpc-timeout', timeout)]);
      this.blocks.set(key, block);
    }
    return block;
  }

  close(): void {
    this.closed = true;
    const s = this.session;
    this.session = undefined;
    // Calls in flight end CANCELLED, as grpc-js's Client.close() ends them.
    s?.destroy('the connection was closed');
  }

  /** The open session, or a new one (after GOAWAY, a dropped connection, or at first). */
  private liveSession(): H2Session {
    const current = this.session;
    if (current?.usable) return current;
    const { tls } = this.opts;
    const servername = tls ? tls.serverNameOverride || (/^[\d.]+$|:/.test(this.target.host) ? undefined : this.target.host) : undefined;
    const s = new H2Session({
      ...this.target,
      tls: tls ? { ca: tls.ca, cert: tls.cert, key: tls.key, servername } : false,
      maxReceiveBytes: this.opts.maxReceiveMessageBytes + 5,
      keepaliveTimeMs: this.opts.keepaliveTimeMs,
      keepaliveTimeoutMs: this.opts.keepaliveTimeoutMs,
      onUnusable: (gone) => {
        if (this.session === gone) this.session = undefined;
      },
    });
    this.session = s;
    return s;
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
