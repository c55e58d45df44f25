import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { rootContainer } from '../../../plugins/di.js';
import { ActivityPluginToken, MetricsPluginToken, defineMetricsPlugin } from '../../../plugins/contracts.js';
import { PluginRegistry } from '../../../plugins/registry.js';
import { checkPluginExport } from '../../../plugins/loader.js';
import { DbToken } from '../../fixtures/plugins/db-activities.js';
import type { Logger } from '../../../core/logger.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/plugins');
const silent: Logger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

function registry(loadTimeoutMs = 2_000) {
  const container = rootContainer.createChildContainer();
  return { container, reg: new PluginRegistry({ container, logger: silent, baseDir: fixtures, loadTimeoutMs }) };
}

describe('plugin loader and registry', () => {
  it('loads an activity plugin of plain functions and registers it under ActivityPluginToken', async () => {
    const { reg, container } = registry();
    const info = await reg.load({ module: './echo-activities.ts' });
    expect(info).toMatchObject({ name: 'echo', kind: 'activity', activities: ['echo', 'fail'] });
    expect(container.resolveAll(ActivityPluginToken).map((p) => p.name)).toEqual(['echo']);
    expect(await reg.activityPlugin('echo').activities.echo!(7)).toBe(7);
  });

  it("builds an activity class through the container, injecting the host's service", async () => {
    const { reg, container } = registry();
    container.register(DbToken, { useValue: { get: async (k: string) => `value-of-${k}` } });
    await reg.load({ module: './db-activities.ts' });
    const acts = reg.activityPlugin('db').activities;
    expect(Object.keys(acts)).toEqual(['lookup']);
    // Outside an activity Context.current() throws, so check the injected service through the class directly.
    await expect(acts.lookup!('k')).rejects.toThrow();
  });

  it('a class whose service the host did not register fails setup with a clear error', async () => {
    const { reg } = registry();
    await expect(reg.load({ module: './db-activities.ts' })).rejects.toMatchObject({ code: 'PLUGIN_SETUP_FAILED', message: expect.stringContaining('db-activities.ts') });
  });

  it('accepts an export named `plugin` and validates options with the plugin schema', async () => {
    const { reg } = registry();
    await expect(reg.load({ module: './slow-activities.ts', options: { bogus: 1 } })).rejects.toMatchObject({ code: 'PLUGIN_OPTIONS_INVALID', message: expect.stringContaining('options') });
    expect(reg.list()).toEqual([]);
    await expect(reg.load({ module: './slow-activities.ts', options: { name: 'x' } })).resolves.toMatchObject({ name: 'slow', activities: ['slow'] });
  });

  it.each([
    ['./does-not-exist.ts', 'PLUGIN_LOAD_FAILED', /Could not import plugin module "\.\/does-not-exist\.ts"/],
    ['./throws-on-import.ts', 'PLUGIN_LOAD_FAILED', /boom at import/],
    ['./syntax-error.mjs', 'PLUGIN_LOAD_FAILED', /syntax-error\.mjs/],
    ['./not-a-plugin.ts', 'PLUGIN_INVALID', /exports no plugin.*it exports \[helper, other\]/],
    ['./missing-members.ts', 'PLUGIN_INVALID', /"\.\/missing-members\.ts" \("broken"\) is missing or has wrong: kind/],
    ['./wrong-activity-shape.ts', 'PLUGIN_INVALID', /exactly one of activities, activityClass, setup \(got activities, setup\)/],
    ['./setup-throws.ts', 'PLUGIN_SETUP_FAILED', /setup failed: cannot reach the audit service/],
    ['builtin:nope', 'PLUGIN_LOAD_FAILED', /not a built-in plugin; built-ins: builtin:prometheus/],
  ])('%s fails with %s naming the module and what is wrong', async (module, code, message) => {
    const { reg, container } = registry();
    await expect(reg.load({ module })).rejects.toMatchObject({ code, message: expect.stringMatching(message) });
    expect(reg.list()).toEqual([]);
    expect(container.isRegistered(ActivityPluginToken)).toBe(false);
    expect(reg.failures).toEqual([expect.objectContaining({ module, code })]);
  });

  it('names what the activities lack, member by member', () => {
    expect(() => checkPluginExport({ default: { name: 'x', kind: 'activity', activities: { a: 1, b: async () => 1 } } }, 'm')).toThrow(/activities\.a \(functions\)/);
    expect(() => checkPluginExport({ default: { kind: 'metrics' } }, 'm')).toThrow(/name .*; setup \(a function\)/);
  });

  it('bounds setup time', async () => {
    const { reg } = registry(200);
    await expect(reg.load({ module: './setup-hangs.ts' })).rejects.toMatchObject({ code: 'PLUGIN_SETUP_FAILED', message: expect.stringMatching(/within 200 ms/) });
  });

  it('refuses a second plugin with the same name', async () => {
    const { reg } = registry();
    await reg.load({ module: './echo-activities.ts' });
    await expect(reg.load({ module: './echo-activities.ts' })).rejects.toMatchObject({ code: 'PLUGIN_NAME_TAKEN' });
  });

  it('a throwing metrics plugin is registered and resolvable; unknown names give PLUGIN_NOT_FOUND listing the loaded ones', async () => {
    const { reg, container } = registry();
    await reg.register(defineMetricsPlugin({ name: 'm', setup: () => ({ handle: () => { throw new Error('x'); } }) }));
    expect(container.resolveAll(MetricsPluginToken)).toHaveLength(1);
    expect(reg.metricsPlugins()).toHaveLength(1);
    await reg.load({ module: './echo-activities.ts' });
    expect(() => reg.activityPlugin('nope')).toThrow(/No activity plugin named "nope" is loaded; loaded activity plugins: \[echo\]/);
    expect(() => reg.interceptorPlugins(['nope'])).toThrow(expect.objectContaining({ code: 'PLUGIN_NOT_FOUND' }));
  });

  it('loads the built-in plugins', async () => {
    const { reg, container } = registry();
    container.register(Symbol.for('tempo-worker-runtime.RuntimeView'), { useValue: { list: () => [] } });
    await expect(reg.load({ module: 'builtin:prometheus' })).resolves.toMatchObject({ kind: 'metrics' });
    await expect(reg.load({ module: 'builtin:structured-logging', options: { attributes: { service: 's' } } })).resolves.toMatchObject({ kind: 'interceptor' });
    const [logging] = reg.interceptorPlugins();
    expect(logging!.workflowModules![0]).toMatch(/workflow-interceptors\.ts$/);
    const scraped = await reg.metricsPlugins()[0]!.scrape!();
    expect(scraped.body).toContain('# TYPE temporal_activity_execution_latency histogram');
  });
});
