import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultConfig, readConfigFile } from '../../../cli/config.js';

function write(content: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'tempo-config-')), 'c.json');
  writeFileSync(file, content);
  return file;
}

describe('CLI config file', () => {
  it('accepts a full config and resolves relative paths against its folder', () => {
    const file = write(JSON.stringify({ temporal: { address: '127.0.0.1:7233', namespace: 'ns' }, api: { port: 0, token: 'x'.repeat(16) }, plugins: [{ module: './p.js' }], workers: [{ taskQueue: 'q', activityPlugins: ['p'] }] }));
    const { config, baseDir } = readConfigFile(file);
    expect(baseDir).toBe(path.dirname(file));
    expect(config.workers?.[0]?.taskQueue).toBe('q');
  });

  it.each([
    [{ api: { port: 70000 } }, 'config.api.port: must be <= 65535'],
    [{ api: { token: 'short' } }, 'config.api.token: must be at least 16 characters'],
    [{ temporal: { address: 'no-port' } }, 'config.temporal.address: address must be host:port'],
    [{ workers: [{ taskQueue: '' }] }, 'config.workers.0.taskQueue: must not be empty'],
    [{ workers: [{ taskQueue: 'q', limits: { maxConcurrentActivityTaskExecutions: 0 } }] }, 'config.workers.0.limits.maxConcurrentActivityTaskExecutions: must be > 0'],
    [{ plugins: [{ module: '' }] }, 'config.plugins.0.module: must name a module'],
    [{ drainGrace: 5 }, 'config: Unrecognized key: "drainGrace"'],
    [{ sandbox: { isolation: 'none' } }, 'config.sandbox.isolation'],
    [{ sandbox: { threads: 0 } }, 'config.sandbox.threads'],
    [{ api: { token: 'sixteen chars with spaces' } }, 'config.api.token: must be printable ASCII without spaces'],
    [{ api: { allowedOrigins: ['evil.example'] } }, 'config.api.allowedOrigins.0: must be an origin'],
    [{ moduleRoots: [] }, 'config.moduleRoots: must name at least one directory'],
    [{ allowRuntimeModules: 'yes' }, 'config.allowRuntimeModules'],
    [{ workers: [{ taskQueue: 'a\u0000b' }] }, 'config.workers.0.taskQueue: must not contain NUL'],
  ])('%j is refused with a message naming the field', (raw, message) => {
    expect(() => readConfigFile(write(JSON.stringify(raw)))).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining(message) }));
  });

  it('names the file when it is not JSON', () => {
    const file = write('{ nope');
    expect(() => readConfigFile(file)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining(file) }));
  });

  it('the default config runs the example worker with metrics and logs', () => {
    const { config } = defaultConfig();
    expect(config.plugins!.map((p) => p.module)).toEqual(['builtin:prometheus', 'builtin:structured-logging', './examples/hello/plugin.ts']);
    expect(config.workers).toEqual([{ id: 'hello', taskQueue: 'hello', activityPlugins: ['hello'], workflowsPath: 'examples/hello/workflows.ts' }]);
  });
});
