import { z } from 'zod';

/** TLS settings. `true` means TLS with the system's root CAs. */
export interface TlsOptions {
  /** PEM of the CA that signed the server's certificate (self-hosted clusters). */
  serverRootCACertificate?: Buffer | string;
  /** Client certificate and key for mTLS (Temporal Cloud with certificates). */
  clientCertPair?: { crt: Buffer | string; key: Buffer | string };
  /** Overrides the name checked against the server's certificate. */
  serverNameOverride?: string;
}

/** An HTTP CONNECT proxy between us and the frontend: the official `ProxyConfig`. */
export interface HttpConnectProxyOptions {
  type: 'http-connect';
  /** `host:port` or `http://host:port` of the proxy. */
  targetHost: string;
  /** Sent as `Proxy-Authorization: Basic …` (in clear: the hop to the proxy is not encrypted). */
  basicAuth?: { username: string; password: string };
}

/** Retry policy for calls that are safe to repeat. */
export interface RetryOptions {
  initialIntervalMs: number;
  maxIntervalMs: number;
  /** Multiplier between attempts. */
  backoffCoefficient: number;
  /** Fraction of each interval randomised, 0..1. */
  jitter: number;
  /** Attempts in all, including the first. */
  maxAttempts: number;
}

/** How to reach a Temporal cluster. */
export interface ConnectionOptions {
  /** `host:port` of the frontend. @default '127.0.0.1:7233' */
  address: string;
  /** Namespace checked with DescribeNamespace on connect. @default 'default' */
  namespace: string;
  /** TLS; implied by `apiKey`. @default false */
  tls: boolean | TlsOptions;
  /** Sent as `authorization: Bearer <apiKey>` (Temporal Cloud API keys). */
  apiKey?: string;
  /** Extra gRPC metadata sent with every call. */
  metadata: Record<string, string>;
  /** Reach the frontend through an HTTP CONNECT proxy (TLS, if any, runs inside the tunnel). */
  proxy?: HttpConnectProxyOptions;
  /** Deadline of an ordinary call. @default 10000 */
  callTimeoutMs: number;
  /** Deadline of a long poll; the server answers empty after ~60 s. @default 70000 */
  longPollTimeoutMs: number;
  /**
   * Deadline of a long poll on a namespace without the `workerPollCompleteOnShutdown` capability,
   * where ShutdownWorker leaves open polls open and ending one ourselves (a cancel) can lose the
   * task the server is handing it. The server answers a poll empty about 1 s before its deadline,
   * so with this bound it ends every idle poll itself, and a drain of an idle worker never has to
   * cancel one: it takes about this long (measured by `bench/poll-end-probe.mts`). The price is one
   * empty poll per poller every ~2 s while idle. Ignored when longer than `longPollTimeoutMs`.
   * @default 3000
   */
  uncompletedPollTimeoutMs: number;
  /** Deadline of the start-up checks. @default 10000 */
  connectTimeoutMs: number;
  retry: RetryOptions;
  /**
   * How calls travel: `'http2'`, unary gRPC on our own HTTP/2 client at a fifth of grpc-js's
   * CPU per call (core/connection/http2-transport.ts, core/connection/h2/), or `'grpc-js'`
   * (`@grpc/grpc-js`); with a `proxy`, calls stay on grpc-js, which tunnels through it.
   * @default `TEMPO_GRPC_TRANSPORT` if it says `grpc-js`, else 'http2'
   */
  transport: 'grpc-js' | 'http2';
}

export const connectionDefaults: ConnectionOptions = {
  address: '127.0.0.1:7233',
  namespace: 'default',
  tls: false,
  metadata: {},
  callTimeoutMs: 10_000,
  longPollTimeoutMs: 70_000,
  uncompletedPollTimeoutMs: 3_000,
  connectTimeoutMs: 10_000,
  retry: { initialIntervalMs: 100, maxIntervalMs: 5_000, backoffCoefficient: 2, jitter: 0.2, maxAttempts: 10 },
  // The environment may pick the transport so a whole test suite can run on either.
  transport: process.env.TEMPO_GRPC_TRANSPORT === 'grpc-js' ? 'grpc-js' : 'http2',
};

/** What callers may pass: every field optional, retry fields too. */
export type ConnectionInput = Partial<Omit<ConnectionOptions, 'retry'>> & { retry?: Partial<RetryOptions> };

const pem = z.union([z.string().min(1), z.instanceof(Buffer)]);

/** Validates connection input once, at the edge. */
export const connectionInputSchema = z
  .object({
    address: z.string().regex(/^[^\s:]+:\d{1,5}$/, 'address must be host:port, e.g. 127.0.0.1:7233'),
    namespace: z.string().min(1),
    tls: z.union([
      z.boolean(),
      z.object({
        serverRootCACertificate: pem.optional(),
        clientCertPair: z.object({ crt: pem, key: pem }).optional(),
        serverNameOverride: z.string().min(1).optional(),
      }),
    ]),
    apiKey: z.string().min(1),
    metadata: z.record(z.string(), z.string()),
    proxy: z
      .object({
        type: z.literal('http-connect'),
        targetHost: z.string().regex(/^(http:\/\/)?[^\s/]+:\d{1,5}$/, "proxy.targetHost must be 'host:port' or 'http://host:port'"),
        basicAuth: z.object({ username: z.string().regex(/^[^:@]*$/), password: z.string().regex(/^[^:@]*$/) }).strict().optional(),
      })
      .strict(),
    callTimeoutMs: z.number().int().positive(),
    longPollTimeoutMs: z.number().int().positive(),
    // Below ~2 s the server has no time to answer empty before the deadline fires.
    uncompletedPollTimeoutMs: z.number().int().min(2_000),
    connectTimeoutMs: z.number().int().positive(),
    transport: z.enum(['grpc-js', 'http2']),
    retry: z
      .object({
        initialIntervalMs: z.number().positive(),
        maxIntervalMs: z.number().positive(),
        backoffCoefficient: z.number().min(1),
        jitter: z.number().min(0).max(1),
        maxAttempts: z.number().int().min(1),
      })
      .partial(),
  })
  .partial()
  .strict();
