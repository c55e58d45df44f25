/** Serves the control API standalone on `node:http`, with a graceful close. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { ApiTokenRequiredError } from '../core/runtime/errors.js';
import { createControlApi, type ControlApiOptions, type ControlledRuntime } from './app.js';

/** Options of {@link serveControlApi}. */
export interface ServeOptions extends ControlApiOptions {
  /** @default 7654; 0 picks a free port */
  port?: number;
  /** Interface to bind. Anything beyond loopback requires `token`. @default '127.0.0.1' */
  hostname?: string;
}

export const serveDefaults = { port: 7654, hostname: '127.0.0.1' } as const;

/** A listening control API. */
export interface ServedControlApi {
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  /**
   * Stops accepting connections, lets requests in flight finish within `graceMs`, then cuts the
   * rest. Idle keep-alive sockets are closed repeatedly meanwhile: otherwise they hold `close()`
   * open for their whole keep-alive timeout. Calling it again returns the same promise.
   */
  close(graceMs?: number): Promise<void>;
}

/** True for addresses only this machine can reach. */
export function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '::1' || hostname.startsWith('127.') || hostname === '::ffff:127.0.0.1';
}

/** Builds the app and listens; refuses (API_TOKEN_REQUIRED) to bind beyond loopback without a token. */
export async function serveControlApi(runtime: ControlledRuntime, options: ServeOptions = {}): Promise<ServedControlApi> {
  const { port, hostname, ...apiOptions } = { ...serveDefaults, ...options };
  if (!isLoopback(hostname) && !apiOptions.token) throw new ApiTokenRequiredError(hostname);
  const app = createControlApi(runtime, apiOptions);
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port, hostname }, () => resolve(s as Server)) as Server;
    s.once('error', reject);
  });
  const bound = (server.address() as AddressInfo).port;
  const host = hostname.includes(':') ? `[${hostname}]` : hostname;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${bound}`,
    port: bound,
    server,
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
      });
      return closing;
    },
  };
}
