/**
 * Code comes from the operator, never from a request: POST /plugins and POST /workers on a real
 * runtime (real server, real HTTP) with specifiers a request might choose. Each hostile module
 * would write a marker file at its top level; none may exist afterwards, and every answer is 4xx.
 * A second runtime with allowRuntimeModules shows the markers do appear when a module runs.
 */
import { mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { serveControlApi } from '../../../control-api/serve.js';
import { fixtureWorkflowsPath } from '../../helpers/official-worker.js';
import { pluginFixtures, testRuntime } from '../../helpers/runtime.js';
import { uniqueTaskQueue } from '../../helpers/temporal.js';
import { markerKit, postJson, useServedRuntime } from './api-http.js';

const kit = markerKit();
const roots = path.join(kit.dir, 'roots');
const outside = path.join(kit.dir, 'outside');
const fixtures = path.dirname(pluginFixtures);
const served = useServedRuntime(() => {
  mkdirSync(roots, { recursive: true });
  return { baseDir: roots, moduleRoots: [roots, fixtures], plugins: [{ module: path.join(pluginFixtures, 'echo-activities.ts') }] };
}, kit.dir);
const post = (route: string, body: unknown, api = served.api) => postJson(api, route, body);

describe('POST /plugins never imports a module a request chose', () => {
  it.each([
    ['a data: URL', () => kit.dataUrl('data-url'), 400, 'MODULE_REFUSED', /"data:" scheme is not allowed/],
    ['a file outside the roots', () => kit.module('outside-abs', outside), 400, 'MODULE_REFUSED', /outside the module roots/],
    ['a file: URL outside the roots', () => pathToFileURL(kit.module('outside-url', outside)).href, 400, 'MODULE_REFUSED', /outside the module roots/],
    ['a ../ path out of the roots', () => `../outside/${path.basename(kit.module('outside-rel', outside))}`, 400, 'MODULE_REFUSED', /outside the module roots/],
    ['a link in the roots to a file outside', () => linkInRoots('linked', kit.module('outside-link', outside)), 400, 'MODULE_REFUSED', /is a link to .* outside the module roots/],
    ['a file in the roots no operator configured', () => kit.module('in-roots', roots), 403, 'MODULE_NOT_CONFIGURED', /may only name modules the operator configured/],
    ['a node: builtin', () => 'node:child_process', 400, 'MODULE_REFUSED', /"node:" scheme/],
    ['an https: URL', () => 'https://example.com/evil.mjs', 400, 'MODULE_REFUSED', /"https:" scheme/],
    ['an installed package outside the roots', () => 'esbuild', 400, 'MODULE_REFUSED', /outside the module roots/],
  ])('%s: %i %s, and the module never ran', async (_what, specifier, status, code, message) => {
    const module = specifier();
    const res = await post('/plugins', { module });
    expect(res.status, res.text).toBe(status);
    expect(res.json.error.code).toBe(code);
    expect(res.json.error.message).toMatch(message);
    expect(res.json.error.message).toContain(roots); // names the allowed roots
    expect(kit.ran()).toEqual([]);
  });

  it('a module the operator configured may be named again (here: it is loaded already)', async () => {
    const res = await post('/plugins', { module: path.join(pluginFixtures, 'echo-activities.ts') });
    expect(res.status).toBe(409);
    expect(res.json.error.code).toBe('PLUGIN_NAME_TAKEN');
  });
});

describe('POST /workers never bundles a workflowsPath a request chose', () => {
  it('outside the roots: 400 MODULE_REFUSED on the field; in the roots but not configured: 403; nothing is created', async () => {
    const before = served.runtime.list().length;
    const far = await post('/workers', { taskQueue: uniqueTaskQueue('wf-outside'), workflowsPath: kit.module('wf-outside', outside) });
    expect(far.status, far.text).toBe(400);
    expect(far.json.error).toMatchObject({ code: 'MODULE_REFUSED', fields: [{ path: 'workflowsPath' }] });
    const near = await post('/workers', { taskQueue: uniqueTaskQueue('wf-in-roots'), workflowsPath: kit.module('wf-in-roots', roots) });
    expect(near.status, near.text).toBe(403);
    expect(near.json.error.code).toBe('MODULE_NOT_CONFIGURED');
    expect(served.runtime.list()).toHaveLength(before);
    expect(kit.ran()).toEqual([]);
  });

  it('a workflowsPath the operator configured may be used again by a request', async () => {
    const first = await served.runtime.addWorker({ taskQueue: uniqueTaskQueue('wf-operator'), workflowsPath: fixtureWorkflowsPath });
    const again = await post('/workers', { taskQueue: uniqueTaskQueue('wf-request'), workflowsPath: path.relative(roots, fixtureWorkflowsPath) });
    expect(again.status, again.text).toBe(201);
    expect(again.json.workflowsPath).toBe(fixtureWorkflowsPath);
    await served.runtime.remove(again.json.id, { force: true });
    await served.runtime.remove(first.id, { force: true });
  });
});

describe('allowRuntimeModules: true', () => {
  it('lets a request load a new module under the roots (the marker appears), and still refuses the rest', async () => {
    const own = markerKit(); // its own markers: the other tests expect none
    const ownRoots = path.join(own.dir, 'roots');
    mkdirSync(ownRoots);
    const open = await testRuntime({ baseDir: ownRoots, moduleRoots: [ownRoots], allowRuntimeModules: true });
    const openApi = await serveControlApi(open, { port: 0, tokenDir: own.dir });
    try {
      const runs = await post('/plugins', { module: own.module('allowed', ownRoots) }, openApi);
      expect(runs.json.error.code).toBe('PLUGIN_INVALID'); // it ran, then exported no plugin
      expect(own.ran()).toEqual(['allowed']);
      const data = await post('/plugins', { module: own.dataUrl('allowed-data') }, openApi);
      expect(data.json.error.code).toBe('MODULE_REFUSED');
      const far = await post('/plugins', { module: own.module('allowed-outside', path.join(own.dir, 'outside')) }, openApi);
      expect(far.json.error.code).toBe('MODULE_REFUSED');
      expect(own.ran()).toEqual(['allowed']);
    } finally {
      await openApi.close();
      await open.shutdown({ graceMs: 0 });
    }
  });
});

function linkInRoots(name: string, target: string): string {
  const link = path.join(roots, `${name}.mjs`);
  symlinkSync(target, link);
  return link;
}
