/** /openapi.json, generated from the zod schemas that validate the requests (z.toJSONSchema). */
import { z } from 'zod';
import { createWorkerBody, deleteWorkerQuery, drainBody, drainQuery, errorSchema, healthSchema, loadPluginBody, pluginInfoSchema, pluginListSchema, readinessSchema, workerInfoSchema, workerListSchema } from './schemas.js';

type Schema = z.ZodType;
const input = (s: Schema) => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' });
const output = (s: Schema) => z.toJSONSchema(s, { io: 'output', unrepresentable: 'any' });

const json = (s: Schema, description: string) => ({ description, content: { 'application/json': { schema: output(s) } } });
const body = (s: Schema) => ({ required: true, content: { 'application/json': { schema: input(s) } } });
const errors = (...codes: number[]) => Object.fromEntries(codes.map((c) => [String(c), json(errorSchema, ERROR_TEXT[c] ?? 'Error')]));
const ERROR_TEXT: Record<number, string> = {
  400: 'Invalid input; `fields` names each bad field. Nothing changed.',
  401: 'No bearer token.',
  403: 'Wrong bearer token, a foreign Origin, or a module the operator did not configure.',
  404: 'Unknown worker id.',
  409: 'Conflict: the task queue is taken, the id exists, or the worker is in the wrong state.',
  415: 'Not `Content-Type: application/json`.',
  421: 'The Host header is not one this API serves (DNS rebinding).',
};
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const queryParams = (s: z.ZodObject) => Object.entries(s.shape).map(([name, field]) => ({ name, in: 'query', required: false, schema: input(field as Schema), description: (field as Schema).description }));
const secured = [{ bearer: [] }];
/** What a mutating route may answer before it runs: auth, the request guard (control-api/request-guard.ts), the content type. */
const mutating = [401, 403, 415, 421] as const;

/** Builds the OpenAPI 3.1 document; `basePath` is where the app is mounted. */
export function openApiDocument(opts: { basePath?: string; title?: string; version?: string } = {}): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: { title: opts.title ?? 'tempo-worker control API', version: opts.version ?? '0.1.0', description: 'Add, pause, drain and remove Temporal Worker Entities. Mutating routes need a bearer token (the standalone server always has one) and Content-Type: application/json; a foreign Host (421) or Origin (403) is refused.' },
    servers: [{ url: opts.basePath || '/' }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    paths: {
      '/healthz': { get: { summary: 'Liveness', responses: { 200: json(healthSchema, 'The process is alive.') } } },
      '/readyz': { get: { summary: 'Readiness: connected, at least one entity RUNNING, none FAILED', responses: { 200: json(readinessSchema, 'Ready.'), 503: json(readinessSchema, 'Not ready.') } } },
      '/metrics': { get: { summary: 'Prometheus exposition (Temporal SDK metric names)', responses: { 200: { description: 'text/plain; version=0.0.4' }, ...errors(503) } } },
      '/openapi.json': { get: { summary: 'This document', responses: { 200: { description: 'OpenAPI 3.1' } } } },
      '/workers': {
        get: { summary: 'List workers', responses: { 200: json(workerListSchema, 'Every worker.') } },
        post: { summary: 'Add and start a worker', security: secured, requestBody: body(createWorkerBody), responses: { 201: json(workerInfoSchema, 'Created.'), ...errors(400, 409, ...mutating) } },
      },
      '/workers/{id}': {
        get: { summary: 'One worker: state, task queue, slots, task counts, last error', parameters: [idParam], responses: { 200: json(workerInfoSchema, 'The worker.'), ...errors(404) } },
        delete: {
          summary: 'Drain, then remove; ?force=true hands in-flight work back at once',
          security: secured,
          parameters: [idParam, ...queryParams(deleteWorkerQuery)],
          responses: { 200: json(z.object({ id: z.string(), removed: z.literal(true) }), 'Removed.'), ...errors(400, 404, ...mutating) },
        },
      },
      '/workers/{id}/pause': { post: { summary: 'Stop polling; in-flight work finishes', security: secured, parameters: [idParam], responses: { 200: json(workerInfoSchema, 'Paused.'), ...errors(404, 409, ...mutating) } } },
      '/workers/{id}/resume': { post: { summary: 'Poll again', security: secured, parameters: [idParam], responses: { 200: json(workerInfoSchema, 'Running.'), ...errors(404, 409, ...mutating) } } },
      '/workers/{id}/drain': {
        post: {
          summary: 'Stop polling, let in-flight work finish within graceMs, hand the rest back',
          security: secured,
          parameters: [idParam, ...queryParams(drainQuery)],
          requestBody: { ...body(drainBody), required: false },
          responses: { 200: json(workerInfoSchema, 'DRAINED.'), 202: json(workerInfoSchema, 'Draining (wait=false).'), ...errors(400, 404, 409, ...mutating) },
        },
      },
      '/plugins': {
        get: { summary: 'Loaded plugins and failed loads', responses: { 200: json(pluginListSchema, 'Plugins.') } },
        post: { summary: 'Load a plugin module', security: secured, requestBody: body(loadPluginBody), responses: { 201: json(pluginInfoSchema, 'Loaded.'), ...errors(400, 409, ...mutating) } },
      },
    },
  };
}
