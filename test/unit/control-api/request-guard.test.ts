import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { hostName, requestGuard, requireJson } from '../../../control-api/request-guard.js';

function app(opts: Parameters<typeof requestGuard>[0] = {}): Hono {
  const a = new Hono();
  a.use('*', requestGuard(opts));
  a.use('*', requireJson());
  a.all('*', (c) => c.text('passed'));
  return a;
}

describe('request guard', () => {
  it.each([
    ['127.0.0.1:7654', '127.0.0.1'],
    ['LOCALHOST.', 'localhost'],
    ['[::1]:7654', '::1'],
    ['::1', '::1'],
    ['evil.example:80', 'evil.example'],
  ])('hostName(%j) = %j', (host, name) => expect(hostName(host)).toBe(name));

  it('refuses a Host not allowed with 421, and takes the URL authority when there is no Host header', async () => {
    const a = app({ allowedHosts: ['127.0.0.1', 'localhost'] });
    expect((await a.request('http://127.0.0.1:1/x', { headers: { host: 'evil.example:1' } })).status).toBe(421);
    expect((await a.request('http://127.0.0.1:1/x', { headers: { host: '127.0.0.1:1' } })).status).toBe(200);
    expect((await a.request('/x')).status).toBe(200); // http://localhost/x
    expect((await app().request('http://x/y', { headers: { host: 'anything' } })).status).toBe(200); // no list: any host
  });

  it('refuses a foreign or null Origin with 403; its own origin and listed ones pass', async () => {
    const a = app({ allowedOrigins: ['https://ops.example'] });
    const get = (origin: string) => a.request('http://127.0.0.1:7654/x', { headers: { host: '127.0.0.1:7654', origin } });
    expect((await get('http://evil.example')).status).toBe(403);
    expect((await get('null')).status).toBe(403);
    expect((await get('http://127.0.0.1:7654')).status).toBe(200);
    expect((await get('https://ops.example/')).status).toBe(200);
  });

  it.each([
    ['POST', undefined, undefined, 415],
    ['POST', 'text/plain', '{}', 415],
    ['POST', 'application/jsonx', '{}', 415],
    ['POST', 'application/json; charset=utf-8', '{}', 200],
    ['POST', 'Application/JSON', undefined, 200],
    ['DELETE', undefined, undefined, 200],
    ['DELETE', 'text/plain', 'x', 415],
    ['GET', undefined, undefined, 200],
  ])('%s with content type %j and body %j → %i', async (method, type, body, status) => {
    const headers: Record<string, string> = type ? { 'content-type': type } : {};
    if (body) headers['content-length'] = String(body.length);
    expect((await app().request('/x', { method, headers, body })).status).toBe(status);
  });
});
