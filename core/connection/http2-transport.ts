/**
 * Unary gRPC calls straight on `node:http2`: one session, one stream per call, the 5-byte
 * length-prefixed message, `grpc-status` from the trailers. It exists because a worker's calls are
 * all unary and small, and grpc-js spends more CPU per call than everything else on the activity
 * path (its interceptor, resolving, retrying, load-balancing and subchannel layers, a promise for
 * call credentials, metadata copies): against the benchmark's fake server, a poll plus its answer
 * cost 0.33–0.44 ms of client CPU through grpc-js and 0.15 ms on this transport
 * (bench/README.md, "CPU per activity").
 *
 * What grpc-js would do that matters here is kept: TLS with ALPN h2 and a server name override,
 * keepalive pings, deadlines (`grpc-timeout` and a local timer), cancellation, the receive size
 * limit, a new session after GOAWAY or a dropped connection, and the gRPC status mapping of
 * HTTP/2 resets and HTTP errors. Not kept: compression (never asked for), name resolution beyond
 * one `host:port`, load balancing.
 */
import http2, { type ClientHttp2Session, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import { status } from '@grpc/grpc-js';
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

const { NGHTTP2_CANCEL, NGHTTP2_REFUSED_STREAM, NGHTTP2_ENHANCE_YOUR_CALM, NGHTTP2_INADEQUATE_SECURITY } = http2.constants;

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

/** gRPC's mapping of a stream reset; a stream that ended with no status and no reset lost its connection. */
function fromRstCode(rst: number | undefined): status {
  if (rst === NGHTTP2_CANCEL) return status.CANCELLED;
  if (rst === NGHTTP2_ENHANCE_YOUR_CALM) return status.RESOURCE_EXHAUSTED;
  if (rst === NGHTTP2_INADEQUATE_SECURITY) return status.PERMISSION_DENIED;
  if (rst === NGHTTP2_REFUSED_STREAM || rst === undefined || rst === 0) return status.UNAVAILABLE;
  return status.INTERNAL;
}

export class Http2Transport implements UnaryTransport {
  private session: ClientHttp2Session | undefined;
  private active = 0;
  private closed = false;
  private readonly base: OutgoingHttpHeaders;

  constructor(private readonly opts: Http2TransportOptions) {
    this.base = {
      ...opts.headers,
      ':method': 'POST',
      'content-type': 'application/grpc',
      te: 'trailers',
      'user-agent': 'tempo-worker-runtime',
      ...(opts.tls && opts.tls.serverNameOverride ? { ':authority': opts.tls.serverNameOverride } : {}),
    };
  }

  unary(path: string, message: Uint8Array, timeoutMs: number, signal?: AbortSignal): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      if (this.closed) return reject(transportError(status.UNAVAILABLE, 'the connection is closed'));
      let session: ClientHttp2Session;
      let req: http2.ClientHttp2Stream;
      try {
        session = this.liveSession();
        req = session.request({ ...this.base, ':path': path, 'grpc-timeout': `${Math.max(1, Math.ceil(timeoutMs))}m` });
      } catch (err) {
        return reject(transportError(status.UNAVAILABLE, (err as Error).message));
      }
      if (this.active++ === 0) session.ref();
      const chunks: Buffer[] = [];
      let received = 0;
      let grpcStatus: number | undefined;
      let grpcMessage = '';
      let httpStatus = 200;
      let answered = false;
      let streamError = '';
      let settled = false;
      const finish = (err: TransportError | undefined, value?: Buffer) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (--this.active === 0 && !session.destroyed) session.unref();
        if (err) reject(err);
        else resolve(value!);
      };
      const timer = setTimeout(() => {
        req.close(NGHTTP2_CANCEL);
        finish(transportError(status.DEADLINE_EXCEEDED, `Deadline exceeded after ${timeoutMs} ms`));
      }, timeoutMs);
      const onAbort = () => {
        req.close(NGHTTP2_CANCEL);
        finish(transportError(status.CANCELLED, 'Cancelled on client'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const readStatus = (h: IncomingHttpHeaders) => {
        const s = h['grpc-status'];
        if (s === undefined) return;
        grpcStatus = Number(s);
        const m = h['grpc-message'];
        if (typeof m === 'string') grpcMessage = safeDecode(m);
      };
      req.on('response', (h) => {
        answered = true;
        httpStatus = Number(h[':status'] ?? 200);
        readStatus(h); // a trailers-only answer (an error) carries its status in the headers
      });
      req.on('trailers', readStatus);
      req.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > this.opts.maxReceiveMessageBytes + 5) {
          req.close(NGHTTP2_CANCEL);
          finish(transportError(status.RESOURCE_EXHAUSTED, `Received message larger than max (${received} vs. ${this.opts.maxReceiveMessageBytes})`));
        } else chunks.push(chunk);
      });
      req.on('error', (err: Error) => void (streamError = err.message));
      req.on('close', () => {
        if (settled) return;
        if (grpcStatus === undefined) {
          // No headers at all: the connection failed (refused, reset, GOAWAY) before an answer.
          const code = !answered ? status.UNAVAILABLE : httpStatus !== 200 ? fromHttpStatus(httpStatus) : fromRstCode(req.rstCode);
          finish(transportError(code, httpStatus !== 200 ? `HTTP status ${httpStatus}` : `stream closed without a gRPC status${streamError ? `: ${streamError}` : ''}`));
        } else if (grpcStatus !== status.OK) {
          finish(transportError(grpcStatus, grpcMessage));
        } else {
          const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
          if (body.length < 5 || body[0] !== 0) finish(transportError(status.INTERNAL, body.length < 5 ? 'answer without a message' : 'compressed answer (not requested)'));
          else finish(undefined, body.subarray(5, 5 + body.readUInt32BE(1)));
        }
      });
      const frame = Buffer.allocUnsafe(5 + message.length);
      frame[0] = 0;
      frame.writeUInt32BE(message.length, 1);
      frame.set(message, 5);
      req.end(frame);
    });
  }

  close(): void {
    this.closed = true;
    const s = this.session;
    this.session = undefined;
    // Calls in flight end CANCELLED, as grpc-js's Client.close() ends them.
    s?.destroy();
  }

  /** The open session, or a new one (after GOAWAY, a dropped connection, or at first). */
  private liveSession(): ClientHttp2Session {
    const current = this.session;
    if (current && !current.closed && !current.destroyed) return current;
    const { tls } = this.opts;
    const s = tls
      ? http2.connect(`https://${this.opts.address}`, { ca: tls.ca, cert: tls.cert, key: tls.key, servername: tls.serverNameOverride, noDelay: true } as http2.SecureClientSessionOptions)
      : http2.connect(`http://${this.opts.address}`, { noDelay: true } as http2.ClientSessionOptions);
    const drop = () => {
      if (this.session === s) this.session = undefined;
      clearInterval(keepalive);
    };
    // Stream errors reach their calls; a session error only means: use a new session next time.
    s.on('error', drop);
    s.on('goaway', drop);
    s.on('close', drop);
    const keepalive = setInterval(() => {
      const deadline = setTimeout(() => s.destroy(), this.opts.keepaliveTimeoutMs).unref();
      if (!s.ping((err) => (clearTimeout(deadline), err && s.destroy()))) clearTimeout(deadline);
    }, this.opts.keepaliveTimeMs).unref();
    s.unref();
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
