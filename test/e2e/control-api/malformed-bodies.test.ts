/**
 * Bad input through the control API: every case is answered 400 with a message (and field paths
 * where a field is at fault), never a 5xx, and changes nothing in the runtime. app.request(): no socket.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createControlApi } from '../../../control-api/app.js';
import type { Runtime } from '../../../core/runtime/runtime.js';
import { testRuntime, json } from '../../helpers/runtime.js';
import { uniqueTaskQueue } from '../../helpers/temporal.js';

let runtime: Runtime;
let app: ReturnType<typeof createControlApi>;
let existing: string;

beforeAll(async () => {
  // allowRuntimeModules: the plugin cases below reach the loader (test/e2e/hardening covers the default).
  runtime = await testRuntime({ plugins: [{ module: './echo-activities.ts' }], allowRuntimeModules: true });
  app = createControlApi(runtime);
  existing = (await runtime.addWorker({ taskQueue: uniqueTaskQueue('malformed'), activityPlugins: ['echo'] })).id;
});
afterAll(() => runtime?.shutdown({ graceMs: 0 }));

const snapshot = () => JSON.stringify({ workers: runtime.list().map(({ createdAt: _c, ...w }) => w), plugins: runtime.listPlugins().plugins });
const q = (s: string) => JSON.stringify(s);
const long = (n: number) => 'x'.repeat(n);
const worker = (extra: string) => `{"taskQueue":"q-malformed","activityPlugins":["echo"],${extra}}`;

const workerBodies: Array<[string, string]> = [
  ['empty body', ''],
  ['truncated JSON', '{'],
  ['not JSON', 'not json'],
  ['trailing garbage', '{"taskQueue":"q"} x'],
  ['null', 'null'],
  ['array', '[]'],
  ['number', '42'],
  ['string', '"q"'],
  ['boolean', 'true'],
  ['no taskQueue', '{}'],
  ['empty taskQueue', '{"taskQueue":""}'],
  ['numeric taskQueue', '{"taskQueue":5}'],
  ['null taskQueue', '{"taskQueue":null}'],
  ['array taskQueue', '{"taskQueue":["a"]}'],
  ['object taskQueue', '{"taskQueue":{}}'],
  ['padded taskQueue', '{"taskQueue":" q ","activityPlugins":["echo"]}'],
  ['overlong taskQueue', `{"taskQueue":${q(long(1001))}}`],
  ['unknown field', worker('"bogus":1')],
  ['empty namespace', worker('"namespace":""')],
  ['numeric namespace', worker('"namespace":5')],
  ['empty id', worker('"id":""')],
  ['id starting with a dash', worker('"id":"-bad"')],
  ['id with a space', worker('"id":"has space"')],
  ['overlong id', worker(`"id":${q(long(200))}`)],
  ['activityPlugins not an array', '{"taskQueue":"q","activityPlugins":"echo"}'],
  ['activityPlugins of numbers', '{"taskQueue":"q","activityPlugins":[1]}'],
  ['activityPlugins with an empty name', '{"taskQueue":"q","activityPlugins":[""]}'],
  ['activityPlugins null', '{"taskQueue":"q","activityPlugins":null}'],
  ['an activity plugin that is not loaded', '{"taskQueue":"q","activityPlugins":["missing"]}'],
  ['the same activity plugin twice', '{"taskQueue":"q","activityPlugins":["echo","echo"]}'],
  ['interceptors not an array', worker('"interceptors":"x"')],
  ['an interceptor that is not loaded', worker('"interceptors":["missing"]')],
  ['limits not an object', worker('"limits":5')],
  ['zero activity slots', worker('"limits":{"maxConcurrentActivityTaskExecutions":0}')],
  ['negative activity slots', worker('"limits":{"maxConcurrentActivityTaskExecutions":-1}')],
  ['fractional activity slots', worker('"limits":{"maxConcurrentActivityTaskExecutions":1.5}')],
  ['activity slots as a string', worker('"limits":{"maxConcurrentActivityTaskExecutions":"10"}')],
  ['too many activity slots', worker('"limits":{"maxConcurrentActivityTaskExecutions":1000000000}')],
  ['null activity slots', worker('"limits":{"maxConcurrentActivityTaskExecutions":null}')],
  ['unknown limit', worker('"limits":{"maxEverything":1}')],
  ['zero activity polls', worker('"limits":{"maxConcurrentActivityTaskPolls":0}')],
  ['negative sticky cache', worker('"limits":{"maxCachedWorkflows":-1}')],
  ['negative drain grace', worker('"drainGraceMs":-1')],
  ['drain grace as a string', worker('"drainGraceMs":"5"')],
  ['huge drain grace', worker('"drainGraceMs":1e12')],
  ['allowDuplicate as a string', worker('"allowDuplicate":"yes"')],
  ['paused as a number', worker('"paused":1')],
  ['empty identity', worker('"identity":""')],
  ['empty workflowsPath', worker('"workflowsPath":""')],
  ['workflowsPath that does not exist', worker('"workflowsPath":"./does/not/exist.ts"')],
  ['nothing to run', '{"taskQueue":"q-nothing"}'],
  ['a namespace the server does not have', worker('"namespace":"no-such-namespace-e2e"')],
];

describe('POST /workers with a malformed body', () => {
  it.each(workerBodies)('%s → 400 with a message, nothing changed', async (_label, body) => {
    const before = snapshot();
    const res = await app.request('/workers', { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    const answer = await json(res);
    expect(res.status, JSON.stringify(answer)).toBe(400);
    expect(answer.error.code).toMatch(/^(CONFIG_INVALID|PLUGIN_NOT_FOUND|NAMESPACE_NOT_FOUND|MODULE_REFUSED)$/);
    expect(answer.error.message.length).toBeGreaterThan(10);
    if (answer.error.code === 'CONFIG_INVALID' || answer.error.code === 'MODULE_REFUSED') expect(answer.error.fields?.length).toBeGreaterThan(0);
    expect(snapshot()).toEqual(before);
  });

  it('names the fields at fault', async () => {
    const res = await app.request('/workers', { method: 'POST', body: '{"taskQueue":5,"limits":{"maxConcurrentActivityTaskExecutions":0},"bogus":1}', headers: { 'content-type': 'application/json' } });
    expect((await json(res)).error.fields).toEqual([
      { path: 'taskQueue', message: 'must be a string' },
      { path: 'limits.maxConcurrentActivityTaskExecutions', message: 'must be > 0' },
      { path: 'bogus', message: 'unknown field' },
    ]);
  });
});

const otherRequests: Array<[string, string, string, string?]> = [
  ['drain: negative grace', 'POST', '/drain', '{"graceMs":-1}'],
  ['drain: grace as a string', 'POST', '/drain', '{"graceMs":"1"}'],
  ['drain: fractional grace', 'POST', '/drain', '{"graceMs":1.5}'],
  ['drain: unknown field', 'POST', '/drain', '{"grace":1}'],
  ['drain: array body', 'POST', '/drain', '[1]'],
  ['drain: not JSON', 'POST', '/drain', 'nope'],
  ['drain: bad wait flag', 'POST', '/drain?wait=perhaps', '{}'],
  ['delete: bad force flag', 'DELETE', '?force=maybe'],
  ['delete: unknown query parameter', 'DELETE', '?bogus=1'],
  ['plugin: empty body', 'POST', 'plugins', ''],
  ['plugin: empty module', 'POST', 'plugins', '{"module":""}'],
  ['plugin: numeric module', 'POST', 'plugins', '{"module":5}'],
  ['plugin: unknown field', 'POST', 'plugins', '{"module":"builtin:prometheus","extra":1}'],
  ['plugin: module not found', 'POST', 'plugins', '{"module":"./does-not-exist.ts"}'],
  ['plugin: module exports no plugin', 'POST', 'plugins', '{"module":"./not-a-plugin.ts"}'],
  ['plugin: bad options', 'POST', 'plugins', '{"module":"./slow-activities.ts","options":{"bogus":true}}'],
];

describe('other routes with malformed input', () => {
  it.each(otherRequests)('%s → 400, nothing changed', async (_label, method, suffix, body) => {
    const before = snapshot();
    const path = suffix === 'plugins' ? '/plugins' : `/workers/${existing}${suffix}`;
    const res = await app.request(path, { method, body, headers: { 'content-type': 'application/json' } });
    const answer = await json(res);
    expect(res.status, JSON.stringify(answer)).toBe(400);
    expect(answer.error.message).toBeTruthy();
    expect(snapshot()).toEqual(before);
    expect(runtime.get(existing).state).toBe('RUNNING');
  });
});
