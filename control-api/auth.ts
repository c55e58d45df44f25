import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { ApiError, errorResponse } from './errors.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Bearer-token check for mutating routes: 401 without a token, 403 with a wrong one. Digests
 * are compared in constant time, so neither the token nor its length leaks through timing.
 */
export function bearerAuth(token: string | undefined): MiddlewareHandler {
  const expected = token === undefined ? undefined : digest(token);
  return async (c, next) => {
    if (!expected || c.req.method === 'GET' || c.req.method === 'HEAD' || c.req.method === 'OPTIONS') return next();
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) {
      const { status, body } = errorResponse(new ApiError('UNAUTHORIZED', 'This route needs "Authorization: Bearer <token>".'));
      c.header('WWW-Authenticate', 'Bearer realm="tempo-worker"');
      return c.json(body, status);
    }
    if (!timingSafeEqual(digest(match[1]!), expected)) {
      const { status, body } = errorResponse(new ApiError('FORBIDDEN', 'The bearer token is not valid.'));
      return c.json(body, status);
    }
    return next();
  };
}
