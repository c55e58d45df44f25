/**
 * Refuses requests shaped like a browser's, so a web page the operator visits cannot drive the
 * API: a page can send a no-preflight `text/plain` (or body-less) POST to 127.0.0.1, or reach it
 * under its own name through DNS rebinding, but it cannot make a cross-origin request that says
 * `Content-Type: application/json` without a preflight we never answer.
 *
 * - Wrong `Host` → 421 HOST_NOT_ALLOWED: the request names an authority this server does not
 *   serve (RFC 9110 §15.5.20, "Misdirected Request"), which is what a rebound name is.
 * - Foreign `Origin` → 403 ORIGIN_NOT_ALLOWED: the server knows the request and refuses its caller.
 * - A POST/PUT/PATCH, or any request with a body, not `application/json` → 415 UNSUPPORTED_MEDIA_TYPE.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { ApiError, errorResponse } from './errors.js';

/** Options of {@link requestGuard}. */
export interface RequestGuardOptions {
  /**
   * Host names (without port) the API answers to. `undefined` = any, for an app mounted in a host
   * service that checks `Host` itself; `serveControlApi` fills it from its bind address.
   */
  readonly allowedHosts?: readonly string[];
  /** Origins (`scheme://host[:port]`) allowed to call, beyond the API's own origin. @default [] */
  readonly allowedOrigins?: readonly string[];
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/** The host name of a `Host` header (`[::1]:7654` → `::1`), lower-cased, without a trailing dot. */
export function hostName(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[')) h = h.slice(1, h.includes(']') ? h.indexOf(']') : undefined);
  else if (h.split(':').length === 2) h = h.slice(0, h.indexOf(':'));
  return h.replace(/\.$/, '');
}

function refuse(c: Context, code: string, message: string): Response {
  const { status, body } = errorResponse(new ApiError(code, message));
  return c.json(body, status);
}

/** The Host and Origin checks; place them before auth. */
export function requestGuard(options: RequestGuardOptions = {}): MiddlewareHandler {
  const hosts = options.allowedHosts && new Set(options.allowedHosts.map(hostName));
  const origins = new Set((options.allowedOrigins ?? []).map((o) => o.toLowerCase().replace(/\/$/, '')));
  return async (c, next) => {
    // Without a Host header (app.request() in-process), the URL's authority stands in for it.
    const host = c.req.header('host') ?? new URL(c.req.url).host;
    if (hosts && !hosts.has(hostName(host))) {
      return refuse(c, 'HOST_NOT_ALLOWED', `Host ${JSON.stringify(host)} is not one this API serves ([${[...hosts].join(', ')}]); add it to the control API's allowedHosts if it is yours.`);
    }
    const origin = c.req.header('origin');
    if (origin !== undefined) {
      const o = origin.toLowerCase().replace(/\/$/, '');
      const sameOrigin = /^https?:\/\//.test(o) && o.replace(/^https?:\/\//, '') === host.toLowerCase();
      if (!sameOrigin && !origins.has(o)) {
        return refuse(c, 'ORIGIN_NOT_ALLOWED', `Origin ${JSON.stringify(origin)} may not call this API; add it to the control API's allowedOrigins if it should.`);
      }
    }
    return next();
  };
}

/** 415 for a POST/PUT/PATCH, or any request with a body, that is not `application/json`; place it after auth. */
export function requireJson(): MiddlewareHandler {
  return async (c, next) => {
    const hasBody = Number(c.req.header('content-length') ?? 0) > 0 || c.req.header('transfer-encoding') !== undefined;
    if (BODY_METHODS.has(c.req.method) || hasBody) {
      const type = c.req.header('content-type');
      if ((type ?? '').split(';')[0]!.trim().toLowerCase() !== 'application/json') {
        return refuse(c, 'UNSUPPORTED_MEDIA_TYPE', `${c.req.method} ${c.req.path} needs "Content-Type: application/json"${type ? `, not ${JSON.stringify(type)}` : ' (none was sent)'}.`);
      }
    }
    return next();
  };
}
