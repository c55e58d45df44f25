/**
 * A small bounded fuzzer: a few hundred malformed and hostile requests (bodies, content types,
 * hosts, origins, module specifiers, names) from a seeded generator against a real runtime served
 * over real HTTP. It counts requests sent, 5xx answers (and among them faults: any but the documented
 * 503s of /readyz and NO_METRICS), code executions (marker files written by
 * the hostile modules: must be 0), hangs (no answer within 5 s) and state changes after a refused
 * request, and prints them. Set FUZZ_REQUESTS / FUZZ_SEED to run longer or elsewhere.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';
import { pluginFixtures } from '../../helpers/runtime.js';
import { HangError, markerKit, rawRequest, useServedRuntime, type RawRequest } from './api-http.js';

const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 400);
const SEED = Number(process.env.FUZZ_SEED ?? 7);

const kit = markerKit();
const roots = path.join(kit.dir, 'roots');
const outside = path.join(kit.dir, 'outside');
const served = useServedRuntime(() => {
  mkdirSync(roots, { recursive: true });
  return { baseDir: roots, moduleRoots: [roots, pluginFixtures], plugins: [{ module: path.join(pluginFixtures, 'echo-activities.ts') }] };
}, kit.dir);

/** mulberry32: a tiny seeded generator, so a failing run can be replayed. */
function generator(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  return { next, pick, chance: (p: number) => next() < p };
}

/** Every hostile module specifier, each writing its own marker if it ever ran. */
function hostileSpecifiers(): string[] {
  const inRoots = kit.module('fuzz-in-roots', roots);
  const far = kit.module('fuzz-outside', outside);
  const link = path.join(roots, 'fuzz-link.mjs');
  symlinkSync(kit.module('fuzz-link-target', outside), link);
  const fifo = path.join(roots, 'fuzz.fifo');
  execFileSync('mkfifo', [fifo]);
  return [
    kit.dataUrl('fuzz-data'),
    `data:text/javascript;base64,${Buffer.from(`import('node:fs').then((f) => f.writeFileSync(${JSON.stringify(path.join(kit.markers, 'fuzz-data64'))}, 'ran'))`).toString('base64')}`,
    inRoots,
    './fuzz-in-roots.mjs',
    far,
    pathToFileURL(far).href,
    `../outside/${path.basename(far)}`,
    `${roots}/../outside/${path.basename(far)}`,
    link,
    fifo,
    '/dev/zero',
    '/dev/null',
    '/proc/self/environ',
    '/etc/passwd',
    roots,
    'node:child_process',
    'node:fs',
    'http://127.0.0.1:1/evil.mjs',
    'https://example.com/evil.mjs',
    'blob:nodedata:1234',
    'esbuild',
    'vitest',
    '@temporalio/worker',
    'builtin:__proto__',
    'builtin:constructor',
    'builtin:../../../etc/passwd',
    'builtin:prometheus',
    `file:${far}`,
    `FILE://${far}`,
    `${far}\u0000.ts`,
    'C:\\Windows\\evil.mjs',
    '\\\\server\\share\\evil.mjs',
    'x'.repeat(2_000),
  ];
}

const DOCUMENTED_503 = new Set(['NO_METRICS', 'RUNTIME_SHUT_DOWN', 'CONNECTION_UNREACHABLE', 'NAMESPACE_CHECK_FAILED']);
const NAMES = ['q', 'a\u0000b', 'a\uD800b', '/_sys/x', ' padded ', 'x'.repeat(1_001), '😀'.repeat(251), '', 'ok\u2028', '../../etc', '%00', '\uFEFF', 'a'.repeat(1000)];
const TYPES = ['application/json', 'application/json', 'application/json', 'application/json', 'application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', 'text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx', 'application/*+json', ''];
const ORIGINS = [...Array(12).fill(undefined), 'http://evil.example', 'null', 'https://127.0.0.1', 'http://localhost:1', 'file://'];

function fuzzRequests(count: number, port: number, token: string): RawRequest[] {
  const g = generator(SEED);
  const specifiers = hostileSpecifiers();
  const hosts = [...Array(12).fill(`127.0.0.1:${port}`), `localhost:${port}`, `evil.example:${port}`, 'evil.example', `127.0.0.1.evil.example:${port}`, `[::1]:${port}`, '0.0.0.0', 'x'.repeat(300)];
  const auths = [...Array(10).fill(`Bearer ${token}`), undefined, 'Bearer wrong-token-wrong-token', 'Bearer', `Basic ${Buffer.from('a:b').toString('base64')}`, `bearer  ${token}  `];
  const body = (): string | Buffer | undefined => {
    switch (Math.floor(g.next() * 14)) {
      case 0:
        return JSON.stringify({ module: g.pick(specifiers) });
      case 1:
        return JSON.stringify({ module: g.pick(specifiers), options: g.pick([{}, [], null, { __proto__: { polluted: true } }, 'x'.repeat(10_000)]) });
      case 2:
        return JSON.stringify({ taskQueue: g.pick(NAMES), workflowsPath: g.pick(specifiers), paused: true });
      case 3:
        return JSON.stringify({ taskQueue: g.pick(NAMES), activityPlugins: ['echo'], paused: true, ...(g.chance(0.5) ? { namespace: g.pick(NAMES) } : {}), ...(g.chance(0.3) ? { identity: g.pick(NAMES) } : {}) });
      case 4:
        return JSON.stringify({ taskQueue: `fuzz-${Math.floor(g.next() * 1e9)}`, activityPlugins: ['echo'], paused: true, limits: { maxConcurrentActivityTaskPolls: 1 } });
      case 5:
        return JSON.stringify({ graceMs: g.pick([-1, 1e12, 'x', 0.5, null, 10]) });
      case 6:
        return `${'['.repeat(50_000)}${']'.repeat(50_000)}`;
      case 7:
        return `{"taskQueue": "${'a'.repeat(2 * 1024 * 1024)}"}`; // over the 1 MiB limit
      case 8:
        return Buffer.from(Array.from({ length: 64 }, () => Math.floor(g.next() * 256)));
      case 9:
        return '{"taskQueue": "q", ';
      case 10:
        return JSON.stringify({ __proto__: { taskQueue: 'q' }, constructor: { prototype: { x: 1 } } });
      case 11:
        return JSON.stringify({ taskQueue: 'q', activityPlugins: Array.from({ length: 200 }, () => 'echo') });
      case 12:
        return '';
      default:
        return undefined;
    }
  };
  const ids = ['w', 'nope', '%00', '..%2F..%2Fplugins', encodeURIComponent('😀'), 'x'.repeat(500), '%E0%A4%A'];
  const routes = () =>
    g.pick([
      ['POST', '/plugins'],
      ['POST', '/plugins'],
      ['POST', '/workers'],
      ['POST', '/workers'],
      ['POST', `/workers/${g.pick(ids)}/drain?wait=${g.pick(['false', 'maybe', '1'])}`],
      ['POST', `/workers/${g.pick(ids)}/pause`],
      ['POST', `/workers/${g.pick(ids)}/resume`],
      ['DELETE', `/workers/${g.pick(ids)}?force=${g.pick(['true', 'yes'])}`],
      ['GET', `/workers/${g.pick(ids)}`],
      ['GET', g.pick(['/workers', '/plugins', '/readyz', '/healthz', '/openapi.json', '/metrics', '//workers', '/workers/../plugins', '/nowhere'])],
      [g.pick(['PUT', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE']), g.pick(['/workers', '/plugins'])],
    ] as const);
  return Array.from({ length: count }, () => {
    const [method, route] = routes();
    const headers: Record<string, string> = { host: g.pick(hosts) };
    const type = g.pick(TYPES);
    if (type) headers['content-type'] = type;
    const origin = g.pick(ORIGINS);
    if (origin) headers.origin = origin;
    const auth = g.pick(auths);
    if (auth) headers.authorization = auth;
    return { method, path: route, headers, body: method === 'GET' || method === 'HEAD' ? undefined : body(), timeoutMs: 5_000 };
  });
}

it(`${REQUESTS} hostile requests: no 5xx but documented 503s, no code executed, no hang, no state change after a refusal`, { timeout: 300_000 }, async () => {
  const { runtime, api } = served;
  const requests = fuzzRequests(REQUESTS, api.port, api.token);
  const figures = { sent: 0, byStatus: {} as Record<number, number>, fiveXx: 0, faults: 0, hangs: 0, connectionErrors: 0, stateChangesAfterRefusal: 0, executions: 0, created: 0 };
  const snapshot = () => JSON.stringify([runtime.list().map((w) => [w.id, w.state]), runtime.listPlugins().plugins.map((p) => p.name)]);
  const fiveXx: string[] = [];
  for (const req of requests) {
    const before = snapshot();
    figures.sent++;
    try {
      const res = await rawRequest(api.port, req);
      figures.byStatus[res.status] = (figures.byStatus[res.status] ?? 0) + 1;
      if (res.status >= 500) figures.fiveXx++;
      // Documented 503s (not ready, no metrics plugin) are answers, not faults.
      if (res.status >= 500 && !(res.status === 503 && (req.path === '/readyz' || DOCUMENTED_503.has(res.json?.error?.code)))) {
        figures.faults++;
        fiveXx.push(`${req.method} ${req.path} → ${res.status} ${res.text.slice(0, 200)}`);
      }
      if (res.status === 201) figures.created++;
      if (res.status >= 400 && snapshot() !== before) figures.stateChangesAfterRefusal++;
    } catch (err) {
      if (err instanceof HangError) figures.hangs++;
      else figures.connectionErrors++;
    }
  }
  figures.executions = kit.ran().length;
  // Still healthy afterwards.
  expect((await rawRequest(api.port, { path: '/healthz' })).status).toBe(200);
  for (const w of runtime.list()) await runtime.remove(w.id, { force: true });
  console.log(`api fuzz (seed ${SEED}): ${JSON.stringify(figures)}`);
  expect(fiveXx).toEqual([]);
  expect(kit.ran()).toEqual([]);
  expect(figures).toMatchObject({ sent: REQUESTS, faults: 0, hangs: 0, executions: 0, stateChangesAfterRefusal: 0 });
});
