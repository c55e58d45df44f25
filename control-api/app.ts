/**
 * The control API as a Hono app. Export-only: a host mounts it (`host.route('/temporal', app)`),
 * or `serveControlApi` serves it standalone.
 */
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import type { Runtime } from '../core/runtime/runtime.js';
import { validate } from '../core/validate.js';
import { bearerAuth } from './auth.js';
import { ApiError, errorResponse } from './errors.js';
import { openApiDocument } from './openapi.js';
import { requestGuard, requireJson, type RequestGuardOptions } from './request-guard.js';
import { createWorkerBody, deleteWorkerQuery, drainBody, drainQuery, loadPluginBody } from './schemas.js';
import { checkApiToken } from './token.js';

/** What the API needs of a runtime (a fake can stand in for it in tests). */
export type ControlledRuntime = Pick<Runtime, 'addWorker' | 'list' | 'get' | 'pause' | 'resume' | 'drain' | 'remove' | 'readiness' | 'scrapeMetrics' | 'loadPlugin' | 'listPlugins'>;

/** Options of {@link createControlApi}; `allowedHosts` / `allowedOrigins` are the request guard's (control-api/request-guard.ts). */
export interface ControlApiOptions extends RequestGuardOptions {
  /**
   * Bearer token required on every mutating route, at least 16 characters. `serveControlApi`
   * always has one (it generates one when none is given); an app mounted without one leaves
   * authentication to its host.
   */
  token?: string;
  /** Largest accepted body. @default 1_048_576 */
  bodyLimitBytes?: number;
  /** Where the app is mounted, for the OpenAPI `servers` entry. @default '/' */
  basePath?: string;
}

export const controlApiDefaults = { bodyLimitBytes: 1_048_576, basePath: '/' } as const;

/** Reads a JSON body (empty = `{}`) and validates it; throws a ConfigError naming each bad field. */
async function readBody<S extends z.ZodType>(c: Context, schema: S, what: string): Promise<z.output<S>> {
  const text = await c.req.text();
  let raw: unknown = {};
  if (text.trim()) {
    try {
      raw = JSON.parse(text);
    } catch (err) {
      const message = `not valid JSON (${(err as Error).message})`;
      throw new ConfigError(`Invalid ${what}: ${message}`, { cause: { issues: [{ path: [], message }] } });
    }
  }
  return validate(schema, raw, what);
}

/** Builds the control API over `runtime`. */
export function createControlApi(runtime: ControlledRuntime, options: ControlApiOptions = {}): Hono {
  const opts = { ...controlApiDefaults, ...options };
  if (opts.token !== undefined) checkApiToken(opts.token, 'control API token');
  const app = new Hono();
  // Built on first request: generating JSON Schema from zod costs start-up time nobody may need.
  let openapi: ReturnType<typeof openApiDocument> | undefined;

  app.onError((err, c) => {
    const { status, body } = errorResponse(err);
    return c.json(body, status);
  });
  app.notFound((c) => c.json(errorResponse(new ApiError('NOT_FOUND', `No route ${c.req.method} ${c.req.path}.`)).body, 404));
  app.use('*', requestGuard(opts));
  app.use('*', bearerAuth(opts.token));
  app.use('*', requireJson());
  app.use(
    '*',
    bodyLimit({
      maxSize: opts.bodyLimitBytes,
      onError: (c) => c.json(errorResponse(new ApiError('BODY_TOO_LARGE', `The body is larger than ${opts.bodyLimitBytes} bytes.`)).body, 413),
    }),
  );

  app.get('/healthz', (c) => c.json({ status: 'ok' as const }));
  app.get('/readyz', async (c) => {
    const r = await runtime.readiness();
    return c.json(r, r.ready ? 200 : 503);
  });
  app.get('/metrics', async (c) => {
    const m = await runtime.scrapeMetrics();
    if (!m) throw new ApiError('NO_METRICS', 'No metrics plugin with an exposition is loaded; load builtin:prometheus.');
    return c.body(m.body, 200, { 'content-type': m.contentType });
  });
  app.get('/openapi.json', (c) => c.json((openapi ??= openApiDocument({ basePath: opts.basePath }))));

  app.get('/workers', (c) => c.json({ workers: runtime.list() }));
  app.post('/workers', async (c) => {
    const spec = await readBody(c, createWorkerBody, 'worker');
    const info = await runtime.addWorker(spec, { origin: 'request' });
    c.header('Location', `${opts.basePath.replace(/\/$/, '')}/workers/${encodeURIComponent(info.id)}`);
    return c.json(info, 201);
  });
  app.get('/workers/:id', (c) => c.json(runtime.get(c.req.param('id'))));
  app.post('/workers/:id/pause', (c) => c.json(runtime.pause(c.req.param('id'))));
  app.post('/workers/:id/resume', (c) => c.json(runtime.resume(c.req.param('id'))));
  app.post('/workers/:id/drain', async (c) => {
    const id = c.req.param('id');
    const { wait } = validate(drainQuery, c.req.query(), 'query');
    const { graceMs } = await readBody(c, drainBody, 'drain');
    runtime.get(id); // 404 before anything starts
    const drained = runtime.drain(id, { graceMs });
    if (wait === false) {
      drained.catch(() => undefined); // the outcome shows in GET /workers/:id
      return c.json(runtime.get(id), 202);
    }
    return c.json(await drained);
  });
  app.delete('/workers/:id', async (c) => {
    const id = c.req.param('id');
    const { force } = validate(deleteWorkerQuery, c.req.query(), 'query');
    await runtime.remove(id, { force: force === true });
    return c.json({ id, removed: true as const });
  });

  app.get('/plugins', (c) => c.json(runtime.listPlugins()));
  app.post('/plugins', async (c) => {
    const ref = await readBody(c, loadPluginBody, 'plugin');
    return c.json(await runtime.loadPlugin(ref, { origin: 'request' }), 201);
  });
  return app;
}
