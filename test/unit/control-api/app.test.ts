import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { createControlApi, type ControlledRuntime } from '../../../control-api/app.js';
import { serveControlApi } from '../../../control-api/serve.js';
import { WorkerNotFoundError } from '../../../core/runtime/errors.js';
import type { WorkerInfo } from '../../../core/runtime/worker-info.js';
import { json } from '../../helpers/runtime.js';

const info: WorkerInfo = {
  id: 'w1',
  namespace: 'default',
  taskQueue: 'q',
  state: 'RUNNING',
  createdAt: new Date(0).toISOString(),
  workflowSide: 'none',
  activities: ['a'],
  activityPlugins: ['p'],
  interceptors: [],
  slots: { activity: { used: 0, free: 10 } },
  tasks: { activity: { completed: 0, failed: 0, cancelled: 0 } },
};

/** A runtime stand-in that records the mutating calls it gets. */
function fakeRuntime(): ControlledRuntime & { calls: string[] } {
  const calls: string[] = [];
  const get = (id: string) => {
    if (id !== 'w1') throw new WorkerNotFoundError(id);
    return info;
  };
  return {
    calls,
    addWorker: async (s) => (calls.push(`add:${s.taskQueue}`), info),
    list: () => [info],
    get,
    pause: (id) => (calls.push(`pause:${id}`), get(id)),
    resume: (id) => (calls.push(`resume:${id}`), get(id)),
    drain: async (id, o) => (calls.push(`drain:${id}:${o?.graceMs}`), get(id)),
    remove: async (id, o) => void (get(id), calls.push(`remove:${id}:${o?.force}`)),
    readiness: async () => ({ ready: true, connected: true, shuttingDown: false, devServer: false, workers: { total: 1, running: 1, failed: 0 } }),
    scrapeMetrics: async () => undefined,
    loadPlugin: async (r) => (calls.push(`plugin:${r.module}`), { name: 'x', kind: 'activity' as const }),
    listPlugins: () => ({ plugins: [], failures: [] }),
  } as ControlledRuntime & { calls: string[] };
}

const TOKEN = 'a-very-secret-token-123';
const auth = (t = TOKEN) => ({ authorization: `Bearer ${t}`, 'content-type': 'application/json' });

describe('control API (fake runtime, app.request)', () => {
  const mutating: Array<[string, string, string?]> = [
    ['POST', '/workers', '{"taskQueue":"q"}'],
    ['POST', '/workers/w1/pause'],
    ['POST', '/workers/w1/resume'],
    ['POST', '/workers/w1/drain', '{"graceMs":5}'],
    ['DELETE', '/workers/w1'],
    ['POST', '/plugins', '{"module":"builtin:prometheus"}'],
  ];

  it.each(mutating)('%s %s: 401 without a token, 403 with a wrong one, and nothing is called', async (method, path, body) => {
    const rt = fakeRuntime();
    const app = createControlApi(rt, { token: TOKEN });
    const none = await app.request(path, { method, body });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await json(none)).error.code).toBe('UNAUTHORIZED');
    const basic = await app.request(path, { method, body, headers: { authorization: 'Basic abc' } });
    expect(basic.status).toBe(401);
    const wrong = await app.request(path, { method, body, headers: auth('wrong-token') });
    expect(wrong.status).toBe(403);
    expect((await json(wrong)).error.code).toBe('FORBIDDEN');
    expect(rt.calls).toEqual([]);
    const ok = await app.request(path, { method, body, headers: auth() });
    expect(ok.status).toBeLessThan(300);
    expect(rt.calls).toHaveLength(1);
  });

  it('read-only routes need no token', async () => {
    const app = createControlApi(fakeRuntime(), { token: TOKEN });
    for (const path of ['/workers', '/workers/w1', '/healthz', '/readyz', '/openapi.json', '/plugins']) expect((await app.request(path)).status).toBe(200);
    expect((await app.request('/metrics')).status).toBe(503);
  });

  it('answers 404 for an unknown id or route, as JSON with a code', async () => {
    const app = createControlApi(fakeRuntime());
    const r = await app.request('/workers/nope');
    expect(r.status).toBe(404);
    expect(await json(r)).toEqual({ error: { code: 'WORKER_NOT_FOUND', message: 'No worker with id "nope".' } });
    expect((await json(await app.request('/nowhere'))).error.code).toBe('NOT_FOUND');
    expect((await app.request('/workers/nope/pause', { method: 'POST', headers: { 'content-type': 'application/json' } })).status).toBe(404);
  });

  it('DELETE ?force=true skips the drain; POST /drain?wait=false answers 202', async () => {
    const rt = fakeRuntime();
    const app = createControlApi(rt);
    expect((await app.request('/workers/w1?force=true', { method: 'DELETE' })).status).toBe(200);
    expect((await app.request('/workers/w1/drain?wait=false', { method: 'POST', headers: { 'content-type': 'application/json' } })).status).toBe(202);
    expect(rt.calls).toEqual(['remove:w1:true', 'drain:w1:undefined']);
  });

  it('generates /openapi.json from the same zod schemas', async () => {
    const doc = await json(await createControlApi(fakeRuntime()).request('/openapi.json'));
    const schema = doc.paths['/workers'].post.requestBody.content['application/json'].schema;
    expect(schema.required).toEqual(['taskQueue']);
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['taskQueue', 'namespace', 'workflowsPath', 'activityPlugins', 'interceptors', 'limits']));
    expect(doc.paths['/workers/{id}'].delete.parameters.map((p: { name: string }) => p.name)).toEqual(['id', 'force']);
    expect(doc.paths['/workers/{id}/drain'].post.requestBody.content['application/json'].schema.properties.graceMs.type).toBe('integer');
  });

  it('mounts under a prefix in a host Hono app', async () => {
    const host = new Hono();
    host.get('/', (c) => c.text('host'));
    host.route('/temporal', createControlApi(fakeRuntime(), { basePath: '/temporal' }));
    expect(await (await host.request('/')).text()).toBe('host');
    expect((await json(await host.request('/temporal/workers'))).workers[0].id).toBe('w1');
    const created = await host.request('/temporal/workers', { method: 'POST', body: '{"taskQueue":"q"}', headers: { 'content-type': 'application/json' } });
    expect(created.headers.get('location')).toBe('/temporal/workers/w1');
  });
});

describe('serveControlApi', () => {
  it('refuses to bind beyond loopback without a token', async () => {
    await expect(serveControlApi(fakeRuntime(), { hostname: '0.0.0.0', port: 0 })).rejects.toMatchObject({ code: 'API_TOKEN_REQUIRED' });
  });

  it('serves, and closes at once even with an idle keep-alive socket open', async () => {
    const api = await serveControlApi(fakeRuntime(), { port: 0 });
    const res = await fetch(`${api.url}/healthz`, { headers: { connection: 'keep-alive' } });
    expect(await json(res)).toEqual({ status: 'ok' });
    const started = performance.now();
    await api.close(3_000);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('binds beyond loopback with a token', async () => {
    const api = await serveControlApi(fakeRuntime(), { hostname: '0.0.0.0', port: 0, token: TOKEN });
    expect((await fetch(`http://127.0.0.1:${api.port}/workers/w1/pause`, { method: 'POST' })).status).toBe(401);
    await api.close();
  });
});
