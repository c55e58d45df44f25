import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { RuntimeError } from '../core/errors.js';

/** The JSON body of every error answer. */
export interface ErrorBody {
  error: { code: string; message: string; fields?: { path: string; message: string }[] };
}

/** Status by error code; codes not listed are 500. Bad input is always 4xx. */
const STATUS: Record<string, ContentfulStatusCode> = {
  CONFIG_INVALID: 400,
  PLUGIN_NOT_FOUND: 400,
  PLUGIN_INVALID: 400,
  PLUGIN_LOAD_FAILED: 400,
  PLUGIN_OPTIONS_INVALID: 400,
  PLUGIN_SETUP_FAILED: 400,
  NAMESPACE_NOT_FOUND: 400,
  WORKFLOW_BUNDLE_FAILED: 400,
  WORKFLOW_BUNDLE_FORBIDDEN_IMPORT: 400,
  MODULE_REFUSED: 400,
  MODULE_NOT_CONFIGURED: 403,
  ORIGIN_NOT_ALLOWED: 403,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  WORKER_NOT_FOUND: 404,
  NOT_FOUND: 404,
  WORKER_CONFLICT: 409,
  WORKER_ID_TAKEN: 409,
  PLUGIN_NAME_TAKEN: 409,
  ILLEGAL_STATE: 409,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  HOST_NOT_ALLOWED: 421,
  RUNTIME_SHUT_DOWN: 503,
  CONNECTION_UNREACHABLE: 503,
  NAMESPACE_CHECK_FAILED: 503,
  NO_METRICS: 503,
};

/** An API-level error (auth, routing) with its own code. */
export class ApiError extends RuntimeError {}

/** Maps any thrown value to a status and an {@link ErrorBody}; unknown errors are 500 without internals. */
export function errorResponse(err: unknown): { status: ContentfulStatusCode; body: ErrorBody } {
  if (!(err instanceof RuntimeError)) {
    return { status: 500, body: { error: { code: 'INTERNAL', message: 'Internal error; see the runtime log.' } } };
  }
  const status = STATUS[err.code] ?? 500;
  const body: ErrorBody = { error: { code: err.code, message: err.message } };
  const issues = (err.cause as { issues?: { path: PropertyKey[]; message: string; keys?: string[] }[] } | undefined)?.issues;
  if (Array.isArray(issues)) {
    // An unknown key is reported on its parent by zod; name the key itself.
    body.error.fields = issues.flatMap((i) =>
      (i.keys?.length ? i.keys.map((k) => [...i.path, k]) : [i.path]).map((p) => ({ path: p.map(String).join('.'), message: i.keys?.length ? 'unknown field' : i.message })),
    );
  }
  return { status, body };
}
