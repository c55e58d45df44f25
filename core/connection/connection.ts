// Types only: grpc-js loads (await import) only for a connection that uses it.
import type * as grpc from '@grpc/grpc-js';
import { RuntimeError } from '../errors.js';
import { validate } from '../validate.js';
import { backoffDelayMs, sleep } from './backoff.js';
import { connectionDefaults, connectionInputSchema, type ConnectionInput, type ConnectionOptions } from './connection-options.js';
import { status, statusName } from './grpc-status.js';
import { temporal } from './proto.js';
import type { CalledMethod } from './proto-subset-roots.js';
import { Http2Transport } from './http2-transport.js';
import { GrpcJsTransport, type TransportError, type UnaryTransport } from './unary-transport.js';

type Service = temporal.api.workflowservice.v1.WorkflowService;
type v1 = typeof temporal.api.workflowservice.v1;

/** Every unary method of WorkflowService, by its protobufjs (camelCase) name. */
export type WorkflowServiceMethod = {
  [K in keyof Service & string]: Service[K] extends { readonly name: string } ? K : never;
}[keyof Service & string];
// protobufjs declares a callback overload first and the promise overload last; `infer` picks the last.
export type RequestOf<M extends WorkflowServiceMethod> = Service[M] extends (request: infer Req) => Promise<unknown> ? Req : never;
export type ResponseOf<M extends WorkflowServiceMethod> = Service[M] extends (request: never) => Promise<infer Res> ? Res : never;

/** Per-call settings. */
export interface CallOptions {
  /** Overrides the deadline. */
  timeoutMs?: number;
  /** Long polls get `longPollTimeoutMs` and are never retried here: the poller owns their backoff. */
  longPoll?: boolean;
  /** Retry on UNAVAILABLE / RESOURCE_EXHAUSTED / DEADLINE_EXCEEDED. @default true for methods in {@link RETRY_SAFE_METHODS} */
  retry?: boolean;
  /**
   * Epoch ms: keep retrying until then instead of stopping after `retry.maxAttempts` (a task
   * answer, until the task's own deadline, so an outage shorter than it loses nothing).
   */
  retryUntil?: number;
  signal?: AbortSignal;
}

/** The server could not be reached, or the namespace does not exist. */
export class ConnectionError extends RuntimeError {}

/** A gRPC call failed; `grpcCode` is the status, `method` the call. */
export class ServiceCallError extends RuntimeError {
  constructor(
    readonly method: string,
    readonly grpcCode: status,
    readonly details: string,
    options?: { cause?: unknown },
  ) {
    super(`GRPC_${statusName(grpcCode) ?? grpcCode}`, `${method} failed: ${statusName(grpcCode) ?? grpcCode}: ${details}`, options);
  }
}

// DEADLINE_EXCEEDED too: only calls in RETRY_SAFE_METHODS are retried, and a task answer that
// did land the first time is refused the second time with NOT_FOUND, which callers ignore. A busy
// server must not turn a slow answer into a lost one (the task would wait for its timeout).
const RETRYABLE_CODES = new Set<status>([status.UNAVAILABLE, status.RESOURCE_EXHAUSTED, status.DEADLINE_EXCEEDED]);

/**
 * Calls safe to repeat after UNAVAILABLE: reads, and task answers (the server rejects a second
 * answer for the same task token with NotFound, so a repeat can never apply twice).
 */
export const RETRY_SAFE_METHODS: ReadonlySet<WorkflowServiceMethod> = new Set<WorkflowServiceMethod>([
  'getSystemInfo',
  'describeNamespace',
  'getWorkflowExecutionHistory',
  'respondActivityTaskCompleted',
  'respondActivityTaskFailed',
  'respondActivityTaskCanceled',
  'recordActivityTaskHeartbeat',
  'respondWorkflowTaskCompleted',
  'respondWorkflowTaskFailed',
  'respondQueryTaskCompleted',
  'shutdownWorker',
  'describeTaskQueue',
]);

/**
 * The server refused a request over its gRPC message limit (RESOURCE_EXHAUSTED "message larger
 * than max"). Sending it again can never succeed, unlike a RESOURCE_EXHAUSTED for load.
 */
export function isMessageTooLarge(err: unknown): boolean {
  return err instanceof ServiceCallError && err.grpcCode === status.RESOURCE_EXHAUSTED && /message larger than max|message too large/i.test(err.details);
}

interface Codec {
  encode(message: unknown): { finish(): Uint8Array };
  decode(bytes: Uint8Array): unknown;
}

/** History pages and workflow task responses can be large. */
const MAX_RECEIVE_BYTES = 128 * 1024 * 1024;

const SERVICE_PATH = '/temporal.api.workflowservice.v1.WorkflowService/';

function codecs(method: string): { path: string; req: Codec; res: Codec } {
  const name = method[0]!.toUpperCase() + method.slice(1);
  const ns = temporal.api.workflowservice.v1 as unknown as Record<string, Codec | undefined>;
  const req = ns[`${name}Request`];
  const res = ns[`${name}Response`];
  if (!req || !res) throw new RuntimeError('GRPC_UNKNOWN_METHOD', `WorkflowService has no method ${name}.`);
  return { path: SERVICE_PATH + name, req, res };
}

function credentials(grpcJs: typeof grpc, opts: ConnectionOptions): grpc.ChannelCredentials {
  const tls = opts.tls === false && opts.apiKey ? true : opts.tls;
  if (tls === false) return grpcJs.credentials.createInsecure();
  const t = tls === true ? {} : tls;
  const buf = (v: Buffer | string | undefined) => (v === undefined ? null : Buffer.isBuffer(v) ? v : Buffer.from(v));
  return grpcJs.credentials.createSsl(buf(t.serverRootCACertificate), buf(t.clientCertPair?.key), buf(t.clientCertPair?.crt));
}

/**
 * grpc-js tunnels through an HTTP CONNECT proxy when the channel's target is the proxy and
 * `grpc.http_connect_target` names the real server (what it derives itself from `grpc_proxy`
 * and the like); the authority and the TLS server name stay the real server's.
 */
function proxyChannelOptions(options: ConnectionOptions): grpc.ChannelOptions {
  const { proxy } = options;
  if (!proxy) return {};
  return {
    'grpc.enable_http_proxy': 0, // this proxy, not one from the environment
    'grpc.http_connect_target': `dns:///${options.address}`,
    'grpc.default_authority': options.address,
    ...(proxy.basicAuth && { 'grpc.http_connect_creds': `${proxy.basicAuth.username}:${proxy.basicAuth.password}` }),
  };
}

/** Through an HTTP CONNECT proxy calls stay on grpc-js, which tunnels (the http2 transport does not). */
function usesGrpcJs(options: ConnectionOptions): boolean {
  return options.transport === 'grpc-js' || options.proxy !== undefined;
}

/**
 * A WorkflowService client on node:http2 or `@grpc/grpc-js` with the codecs of `@temporalio/proto`.
 *
 * Hand-written rather than `@temporalio/client`'s Connection because a worker needs per-call
 * long-poll deadlines, abortable polls and its own retry rules, and must not pull in the client's
 * interceptors and workflow APIs on its hot path.
 */
export class Connection {
  private readonly transport: UnaryTransport;
  private readonly codecCache = new Map<string, ReturnType<typeof codecs>>();
  private closed = false;
  /** What GetSystemInfo reported on connect. */
  systemInfo?: temporal.api.workflowservice.v1.GetSystemInfoResponse;
  /** The namespace's capabilities as DescribeNamespace reported them on connect. */
  namespaceCapabilities?: temporal.api.namespace.v1.NamespaceInfo.ICapabilities | null;

  /** `grpcJs`, the loaded `@grpc/grpc-js`, is there when {@link usesGrpcJs} says the options need it. */
  private constructor(
    readonly options: ConnectionOptions,
    grpcJs?: typeof grpc,
  ) {
    const t = typeof options.tls === 'object' ? options.tls : undefined;
    const metadata: Record<string, string> = { ...options.metadata, ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}) };
    if (!grpcJs) {
      const tls = options.tls === false && options.apiKey ? true : options.tls;
      const buf = (v: Buffer | string | undefined) => (v === undefined ? undefined : Buffer.isBuffer(v) ? v : Buffer.from(v));
      this.transport = new Http2Transport({
        address: options.address,
        tls: tls === false ? false : { ca: buf(t?.serverRootCACertificate), cert: buf(t?.clientCertPair?.crt), key: buf(t?.clientCertPair?.key), serverNameOverride: t?.serverNameOverride },
        headers: Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k.toLowerCase(), v])),
        maxReceiveMessageBytes: MAX_RECEIVE_BYTES,
        keepaliveTimeMs: 30_000,
        keepaliveTimeoutMs: 15_000,
      });
      return;
    }
    const md = new grpcJs.Metadata();
    for (const [k, v] of Object.entries(metadata)) md.set(k, v);
    this.transport = new GrpcJsTransport(
      grpcJs,
      options.proxy ? options.proxy.targetHost.replace(/^http:\/\//, '') : options.address,
      credentials(grpcJs, options),
      {
        ...proxyChannelOptions(options),
        'grpc.keepalive_time_ms': 30_000,
        'grpc.keepalive_timeout_ms': 15_000,
        // History pages and workflow task responses can be large.
        'grpc.max_receive_message_length': MAX_RECEIVE_BYTES,
        // grpc-js backs reconnects off up to 120 s: after a minute-long outage the channel would
        // stay down for up to that long after the server is back. Answers retried through an
        // outage (CallOptions.retryUntil) need it back within seconds.
        'grpc.initial_reconnect_backoff_ms': 500,
        'grpc.max_reconnect_backoff_ms': 5_000,
        ...(t?.serverNameOverride ? { 'grpc.ssl_target_name_override': t.serverNameOverride, 'grpc.default_authority': t.serverNameOverride } : {}),
      },
      md,
    );
  }

  /**
   * Validates the options, opens the channel, then checks the server (GetSystemInfo) and the
   * namespace (DescribeNamespace). Fails with a {@link ConnectionError} naming what was wrong.
   */
  static async connect(input: ConnectionInput = {}): Promise<Connection> {
    const parsed = validate(connectionInputSchema, input, 'connection');
    const options: ConnectionOptions = { ...connectionDefaults, ...parsed, retry: { ...connectionDefaults.retry, ...parsed.retry } } as ConnectionOptions;
    const conn = new Connection(options, usesGrpcJs(options) ? await import('@grpc/grpc-js') : undefined);
    const timeoutMs = options.connectTimeoutMs;
    try {
      conn.systemInfo = await conn.call('getSystemInfo', {}, { timeoutMs, retry: false });
    } catch (cause) {
      conn.transport.close();
      throw new ConnectionError('CONNECTION_UNREACHABLE', `Temporal server at ${options.address} did not answer GetSystemInfo: ${(cause as Error).message}. Check the address, TLS settings and that the server is running.`, { cause });
    }
    try {
      const ns = await conn.call('describeNamespace', { namespace: options.namespace }, { timeoutMs, retry: false });
      conn.namespaceCapabilities = ns.namespaceInfo?.capabilities;
    } catch (cause) {
      conn.transport.close();
      const notFound = cause instanceof ServiceCallError && cause.grpcCode === status.NOT_FOUND;
      throw new ConnectionError(
        notFound ? 'NAMESPACE_NOT_FOUND' : 'NAMESPACE_CHECK_FAILED',
        notFound
          ? `Namespace "${options.namespace}" does not exist on ${options.address}. Create it (temporal operator namespace create ${options.namespace}) or pick another.`
          : `DescribeNamespace("${options.namespace}") on ${options.address} failed: ${(cause as Error).message}`,
        { cause },
      );
    }
    return conn;
  }

  get namespace(): string {
    return this.options.namespace;
  }

  /**
   * The server completes a worker's open polls (empty) when it gets ShutdownWorker with their
   * instance key, so a drain can end them at once without cancelling any (which can lose a task).
   */
  get pollCompleteOnShutdown(): boolean {
    return this.namespaceCapabilities?.workerPollCompleteOnShutdown === true;
  }

  /**
   * The deadline long polls get: `longPollTimeoutMs`, or on a namespace whose server does not
   * complete polls on ShutdownWorker the shorter `uncompletedPollTimeoutMs`, so that the server
   * ends idle polls by itself (empty) and a drain need not cancel any.
   */
  get longPollDeadlineMs(): number {
    return this.pollCompleteOnShutdown ? this.options.longPollTimeoutMs : Math.min(this.options.longPollTimeoutMs, this.options.uncompletedPollTimeoutMs);
  }

  /**
   * Calls one WorkflowService method, retrying safe calls on UNAVAILABLE / RESOURCE_EXHAUSTED.
   * The method is one of proto-subset-roots.ts's list, whose messages the codecs hold.
   */
  call<M extends CalledMethod>(method: M, request: RequestOf<M>, opts: CallOptions = {}): Promise<ResponseOf<M>> {
    const first = this.callOnce(method, request, opts) as Promise<ResponseOf<M>>;
    const retry = opts.retry ?? (!opts.longPoll && RETRY_SAFE_METHODS.has(method));
    // Most calls succeed at once: the retry loop, and the promises it makes, only after a failure.
    return retry ? first.catch((err: unknown) => this.retryAfter(err, method, request, opts)) : first;
  }

  /** Attempts 2, 3, …: while the error is retryable and attempts or `retryUntil` are left. */
  private async retryAfter<M extends WorkflowServiceMethod>(err: unknown, method: M, request: RequestOf<M>, opts: CallOptions): Promise<ResponseOf<M>> {
    for (let attempt = 1; ; attempt++) {
      const retryable = err instanceof ServiceCallError && RETRYABLE_CODES.has(err.grpcCode) && !isMessageTooLarge(err);
      const delay = backoffDelayMs(attempt, this.options.retry);
      const more = opts.retryUntil !== undefined ? Date.now() + delay < opts.retryUntil : attempt < this.options.retry.maxAttempts;
      if (!retryable || !more || this.closed || opts.signal?.aborted) throw err;
      await sleep(delay, opts.signal);
      try {
        return (await this.callOnce(method, request, opts)) as ResponseOf<M>;
      } catch (next) {
        err = next;
      }
    }
  }

  private callOnce(method: string, request: unknown, opts: CallOptions): Promise<unknown> {
    if (this.closed) return Promise.reject(new ConnectionError('CONNECTION_CLOSED', `Connection to ${this.options.address} is closed; ${method} was not sent.`));
    // An abort that came before the call: its listener below would never fire.
    if (opts.signal?.aborted) return Promise.reject(opts.signal.reason);
    let c = this.codecCache.get(method);
    if (!c) this.codecCache.set(method, (c = codecs(method)));
    const { path, req, res } = c;
    const timeoutMs = opts.timeoutMs ?? (opts.longPoll ? this.longPollDeadlineMs : this.options.callTimeoutMs);
    return this.transport.unary(path, req.encode(request).finish(), timeoutMs, opts.signal).then(
      (bytes) => res.decode(bytes),
      (err: TransportError) => Promise.reject(new ServiceCallError(method, err.code, err.details || err.message, { cause: err })),
    );
  }

  /** Closes the channel; calls in flight fail with CANCELLED. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.transport.close();
  }
}
