/** Serves the control API standalone on `node:http`: always with a token, bounded reads, a graceful close. */
import { lookup } from 'node:dns/promises';
import type { Server } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { ConfigError } from '../core/errors.js';
import { ApiTokenRequiredError } from '../core/runtime/errors.js';
import { createControlApi, type ControlApiOptions, type ControlledRuntime } from './app.js';
import { checkApiToken, defaultTokenDir, generateApiToken, removeTokenFile, writeTokenFile } from './token.js';

/** Options of {@link serveControlApi}. */
export interface ServeOptions extends ControlApiOptions {
  /** @default 7654; 0 picks a free port */
  port?: number;
  /** Interface to bind (a name or an address). Beyond loopback requires `token`. @default '127.0.0.1' */
  hostname?: string;
  /** Where a generated token is written as `api-<port>.token`. @default defaultTokenDir() (control-api/token.ts) */
  tokenDir?: string;
  /** Time a client has to send a request's headers, ms. @default 10000 */
  headersTimeoutMs?: number;
  /** Time a client has to send a whole request, headers and body, ms (answering may take longer). @default 30000 */
  requestTimeoutMs?: number;
}

export const serveDefaults = { port: 7654, hostname: '127.0.0.1', headersTimeoutMs: 10_000, requestTimeoutMs: 30_000 } as const;

/** A listening control API. */
export interface ServedControlApi {
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  /** The bearer token mutating routes need: the one given, or one generated at start. */
  readonly token: string;
  /** Where a generated token was written (mode 0600); undefined when the token was given. Removed at close. */
  readonly tokenFile?: string;
  /**
   * Stops accepting connections, lets requests in flight finish within `graceMs`, then cuts the
   * rest. Idle keep-alive sockets are closed repeatedly meanwhile: otherwise they hold `close()`
   * open for their whole keep-alive timeout. Calling it again returns the same promise.
   */
  close(graceMs?: number): Promise<void>;
}

/** True for an IP address only this machine can reach (127.0.0.0/8, ::1, IPv4-mapped 127.x). */
export function isLoopbackAddress(ip: string): boolean {
  const a = ip.toLowerCase();
  if (isIP(a) === 4) return a.startsWith('127.');
  return a === '::1' || a === '0:0:0:0:0:0:0:1' || (a.startsWith('::ffff:') && isIP(a.slice(7)) === 4 && a.slice(7).startsWith('127.'));
}

/** What a bind name resolves to; "loopback" means every address it resolves to is. Throws CONFIG_INVALID when it does not resolve. */
export async function resolveBindAddress(hostname: string): Promise<{ addresses: string[]; loopback: boolean; wildcard: boolean }> {
  let addresses: string[];
  try {
    addresses = isIP(hostname) ? [hostname] : (await lookup(hostname, { all: true })).map((a) => a.address);
  } catch (err) {
    throw new ConfigError(`Invalid control API address "${hostname}": it does not resolve (${(err as Error).message}).`, { cause: err });
  }
  const wildcard = addresses.some((a) => a === '0.0.0.0' || a === '::');
  return { addresses, loopback: !wildcard && addresses.length > 0 && addresses.every(isLoopbackAddress), wildcard };
}

/**
 * Builds the app and listens. Refuses (API_TOKEN_REQUIRED) to bind beyond loopback without a
 * token; on loopback without one it generates one and writes it to `tokenDir` (0600). Requests
 * whose Host is not the bound name or address (or `allowedHosts`) are refused (421); a wildcard
 * bind accepts any Host unless `allowedHosts` is given.
 */
export async function serveControlApi(runtime: ControlledRuntime, options: ServeOptions = {}): Promise<ServedControlApi> {
  const { port, hostname, tokenDir, headersTimeoutMs, requestTimeoutMs, ...apiOptions } = { ...serveDefaults, ...options };
  const bind = await resolveBindAddress(hostname);
  if (!bind.loopback && !apiOptions.token) throw new ApiTokenRequiredError(hostname);
  const token = apiOptions.token === undefined ? generateApiToken() : checkApiToken(apiOptions.token, 'control API token');
  const allowedHosts =
    bind.wildcard && !apiOptions.allowedHosts
      ? undefined
      : [...new Set([hostname, ...bind.addresses, ...(bind.loopback ? ['localhost', '127.0.0.1', '::1'] : []), ...(apiOptions.allowedHosts ?? [])])];
  const app = createControlApi(runtime, { ...apiOptions, token, allowedHosts });
  const serverOptions = {
    headersTimeout: Math.min(headersTimeoutMs, requestTimeoutMs),
    requestTimeout: requestTimeoutMs,
    // Node checks both timeouts only this often (30 s by default): keep it a fraction of them.
    connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(Math.min(headersTimeoutMs, requestTimeoutMs) / 4))),
    keepAliveTimeout: 5_000,
  };
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port, hostname, serverOptions }, () => resolve(s as Server)) as Server;
    s.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  if (bind.loopback && !isLoopbackAddress(address.address)) {
    await new Promise((r) => server.close(r));
    throw new ApiTokenRequiredError(`${hostname} (bound to ${address.address})`);
  }
  const tokenFile = apiOptions.token === undefined ? await writeTokenFile(tokenDir ?? defaultTokenDir(), address.port, token) : undefined;
  const host = hostname.includes(':') ? `[${hostname}]` : hostname;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    server,
    token,
    tokenFile,
    close(graceMs = 5_000) {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        const sweep = setInterval(() => server.closeIdleConnections(), 50);
        const deadline = setTimeout(() => server.closeAllConnections(), graceMs);
        server.once('close', () => {
          clearInterval(sweep);
          clearTimeout(deadline);
        });
        server.closeIdleConnections();
      }).then(() => (tokenFile ? removeTokenFile(tokenFile, token) : undefined));
      return closing;
    },
  };
}
