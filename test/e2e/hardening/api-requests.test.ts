/**
 * Requests a browser page, a careless client or a slow one can send, on a real runtime served
 * over real HTTP: refused with the documented status, and nothing changes.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { serveControlApi } from '../../../control-api/serve.js';
import { bundleWorkflowCode } from '../../../sandbox/bundler.js';
import { pluginFixtures } from '../../helpers/runtime.js';
import { uniqueTaskQueue } from '../../helpers/temporal.js';
import { markerKit, rawRequest, useServedRuntime } from './api-http.js';

const kit = markerKit();
const served = useServedRuntime(() => ({ baseDir: kit.dir, moduleRoots: [kit.dir, pluginFixtures], plugins: [{ module: path.join(pluginFixtures, 'echo-activities.ts') }] }), kit.dir);
const auth = () => ({ authorization: `Bearer ${served.api.token}` });
const jsonHeaders = () => ({ ...auth(), 'content-type': 'application/json' });

describe('browser-shaped requests', () => {
  it.each([
    ['text/plain', { 'content-type': 'text/plain' }],
    ['a form', { 'content-type': 'application/x-www-form-urlencoded' }],
    ['multipart', { 'content-type': 'multipart/form-data; boundary=x' }],
    ['no content type', {}],
  ])('a POST with %s is refused with 415, and no worker is made', async (_what, type) => {
    const body = JSON.stringify({ taskQueue: uniqueTaskQueue('text-plain'), activityPlugins: ['echo'] });
    const res = await rawRequest(served.api.port, { method: 'POST', path: '/workers', headers: { ...auth(), ...type }, body });
    expect(res.status, res.text).toBe(415);
    expect(res.json.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(served.runtime.list()).toEqual([]);
  });

  it('a body-less POST (what fetch(url, { method: "POST" }) sends) is refused too', async () => {
    const res = await rawRequest(served.api.port, { method: 'POST', path: '/workers/any/pause', headers: auth() });
    expect(res.status).toBe(415);
  });

  it('a DNS-rebinding Host is refused with 421 on every route, even with the token', async () => {
    for (const [method, route] of [['GET', '/workers'], ['GET', '/healthz'], ['POST', '/plugins']] as const) {
      const res = await rawRequest(served.api.port, { method, path: route, headers: { ...jsonHeaders(), host: `evil.example:${served.api.port}` }, body: method === 'POST' ? '{"module":"builtin:prometheus"}' : undefined });
      expect(res.status, `${method} ${route}`).toBe(421);
      expect(res.json.error.code).toBe('HOST_NOT_ALLOWED');
    }
    expect(served.runtime.listPlugins().plugins.map((p) => p.name)).toEqual(['echo']);
    for (const host of [`127.0.0.1:${served.api.port}`, `localhost:${served.api.port}`, `[::1]:${served.api.port}`]) {
      expect((await rawRequest(served.api.port, { path: '/healthz', headers: { host } })).status, host).toBe(200);
    }
  });

  it('a foreign Origin is refused with 403; the API\'s own origin is not', async () => {
    const foreign = await rawRequest(served.api.port, { method: 'POST', path: '/plugins', headers: { ...jsonHeaders(), origin: 'http://evil.example' }, body: '{"module":"builtin:prometheus"}' });
    expect(foreign.status).toBe(403);
    expect(foreign.json.error.code).toBe('ORIGIN_NOT_ALLOWED');
    expect((await rawRequest(served.api.port, { path: '/workers', headers: { origin: 'null' } })).status).toBe(403);
    expect((await rawRequest(served.api.port, { path: '/workers', headers: { origin: `http://127.0.0.1:${served.api.port}` } })).status).toBe(200);
    expect(served.runtime.listPlugins().plugins.map((p) => p.name)).toEqual(['echo']);
  });
});

describe('a token always', () => {
  it('without one configured, one is generated, written 0600 to the token dir, and required', async () => {
    expect(served.api.tokenFile).toBe(path.join(kit.dir, `api-${served.api.port}.token`));
    expect(statSync(served.api.tokenFile!).mode & 0o777).toBe(0o600);
    expect(statSync(kit.dir).mode & 0o077).toBe(0);
    expect(readFileSync(served.api.tokenFile!, 'utf8').trim()).toBe(served.api.token);
    expect(served.api.token.length).toBeGreaterThanOrEqual(32);
    const none = await rawRequest(served.api.port, { method: 'POST', path: '/workers/x/pause', headers: { 'content-type': 'application/json' } });
    expect(none.status).toBe(401);
    const ok = await rawRequest(served.api.port, { method: 'POST', path: '/workers/x/pause', headers: jsonHeaders() });
    expect(ok.status).toBe(404); // past auth: no such worker
  });

  it('the token file is removed at close', async () => {
    const other = await serveControlApi(served.runtime, { port: 0, tokenDir: kit.dir });
    const file = other.tokenFile!;
    expect(statSync(file).isFile()).toBe(true);
    await other.close();
    expect(() => statSync(file)).toThrow();
  });

  it.each([
    ['a short token', { token: 'x' }, 'CONFIG_INVALID', /at least 16 characters/],
    ['a token with a space', { token: 'sixteen chars and more' }, 'CONFIG_INVALID', /printable ASCII without spaces/],
    ['0.0.0.0 without a configured token', { hostname: '0.0.0.0' }, 'API_TOKEN_REQUIRED', /beyond loopback/],
    ['a name that starts with 127. but is not loopback', { hostname: '127.0.0.1.invalid' }, 'CONFIG_INVALID', /does not resolve/],
  ])('%s is refused at start', async (_what, opts, code, message) => {
    await expect(serveControlApi(served.runtime, { port: 0, tokenDir: kit.dir, ...opts })).rejects.toMatchObject({ code, message: expect.stringMatching(message) });
  });
});

describe('names as the server checks them', () => {
  it.each([
    ['NUL', 'a\u0000b', /must not contain NUL/],
    ['a lone surrogate', 'a\uD800b', /lone surrogate/],
    ['the reserved /_sys/ prefix', '/_sys/x', /reserved prefix/],
    ['1001 bytes of UTF-8', `${'😀'.repeat(250)}a`, /at most 1000 bytes/],
  ])('a task queue with %s is refused with 400', async (_what, taskQueue, message) => {
    const res = await rawRequest(served.api.port, { method: 'POST', path: '/workers', headers: jsonHeaders(), body: JSON.stringify({ taskQueue, activityPlugins: ['echo'] }) });
    expect(res.status, res.text).toBe(400);
    expect(res.json.error.fields).toEqual([expect.objectContaining({ path: 'taskQueue', message: expect.stringMatching(message) })]);
    expect(served.runtime.list()).toEqual([]);
  });

  it('a namespace with NUL and an identity with a lone surrogate are refused too', async () => {
    for (const body of [{ namespace: 'a\u0000b' }, { identity: 'x\uDC00' }]) {
      const res = await rawRequest(served.api.port, { method: 'POST', path: '/workers', headers: jsonHeaders(), body: JSON.stringify({ taskQueue: 'q', activityPlugins: ['echo'], ...body }) });
      expect(res.status, res.text).toBe(400);
    }
  });
});

describe('only regular files', () => {
  it('a FIFO as workflowsPath is refused in under 1 s while /healthz keeps answering', async () => {
    const fifo = path.join(kit.dir, 'workflows.fifo');
    execFileSync('mkfifo', [fifo]);
    const started = performance.now();
    const healthy = rawRequest(served.api.port, { path: '/healthz', timeoutMs: 1_000 });
    const res = await rawRequest(served.api.port, { method: 'POST', path: '/workers', headers: jsonHeaders(), body: JSON.stringify({ taskQueue: uniqueTaskQueue('fifo'), workflowsPath: fifo }), timeoutMs: 1_000 });
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(res.status, res.text).toBe(400);
    expect(res.json.error).toMatchObject({ code: 'MODULE_REFUSED', message: expect.stringContaining('is a FIFO, not a regular file') });
    expect((await healthy).status).toBe(200);
    expect((await rawRequest(served.api.port, { path: '/healthz', timeoutMs: 1_000 })).status).toBe(200);
    // From the embedding code (operator), and straight to the bundler, it is refused as fast.
    await expect(served.runtime.addWorker({ taskQueue: uniqueTaskQueue('fifo-op'), workflowsPath: fifo })).rejects.toMatchObject({ code: 'MODULE_REFUSED' });
    await expect(bundleWorkflowCode({ workflowsPath: fifo })).rejects.toMatchObject({ code: 'WORKFLOW_BUNDLE_FAILED', message: expect.stringContaining('a FIFO') });
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(served.runtime.list()).toEqual([]);
  });

  it('a build that blocks on an input (a FIFO imported by the workflow) gives up at its time limit; the event loop keeps running', async () => {
    const dir = path.join(kit.dir, 'blocking');
    mkdirSync(dir);
    execFileSync('mkfifo', [path.join(dir, 'dep.js')]);
    writeFileSync(path.join(dir, 'workflows.ts'), "import './dep.js';\nexport async function blocked() { return 1; }\n");
    const started = performance.now();
    const bundling = bundleWorkflowCode({ workflowsPath: path.join(dir, 'workflows.ts'), timeoutMs: 500 });
    expect((await rawRequest(served.api.port, { path: '/healthz', timeoutMs: 1_000 })).status).toBe(200);
    await expect(bundling).rejects.toMatchObject({ code: 'WORKFLOW_BUNDLE_FAILED', message: expect.stringMatching(/did not finish within 500 ms/) });
    expect(performance.now() - started).toBeLessThan(3_000);
  });

  it('a directory without an index file and a device are refused', async () => {
    for (const workflowsPath of [kit.markers, '/dev/null']) {
      const res = await rawRequest(served.api.port, { method: 'POST', path: '/workers', headers: jsonHeaders(), body: JSON.stringify({ taskQueue: uniqueTaskQueue('notfile'), workflowsPath }) });
      expect(res.status, res.text).toBe(400);
      expect(res.json.error.code).toBe('MODULE_REFUSED');
    }
  });
});

describe('slow clients', () => {
  it('a client that never finishes its body, or its headers, is cut off after requestTimeoutMs / headersTimeoutMs', async () => {
    const slow = await serveControlApi(served.runtime, { port: 0, tokenDir: kit.dir, headersTimeoutMs: 300, requestTimeoutMs: 600 });
    try {
      const cutAfter = (data: string) =>
        new Promise<{ ms: number; reply: string }>((resolve, reject) => {
          const started = performance.now();
          const socket = connect(slow.port, '127.0.0.1', () => socket.write(data));
          let reply = '';
          socket.on('data', (d) => (reply += d));
          socket.on('close', () => resolve({ ms: performance.now() - started, reply }));
          socket.on('error', reject);
          setTimeout(() => reject(new Error('the server held the connection for 5 s')), 5_000).unref();
        });
      const body = await cutAfter(`POST /workers HTTP/1.1\r\nHost: 127.0.0.1:${slow.port}\r\nAuthorization: Bearer ${slow.token}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"task`);
      expect(body.ms).toBeLessThan(2_500);
      expect(body.reply).toMatch(/^HTTP\/1\.1 408/);
      const headers = await cutAfter(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${slow.port}\r\n`);
      expect(headers.ms).toBeLessThan(2_500);
      expect(served.runtime.list()).toEqual([]);
    } finally {
      await slow.close();
    }
  });
});
