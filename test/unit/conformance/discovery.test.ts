import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createsOwnOfficialWorker, discoverFeatures, matchesPatterns } from '../../../test/conformance/discovery.js';

describe('discoverFeatures', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'conformance-discovery-'));
    const add = async (dir: string, files: Record<string, string>) => {
      await mkdir(path.join(root, 'features', dir), { recursive: true });
      for (const [name, text] of Object.entries(files)) await writeFile(path.join(root, 'features', dir, name), text);
    };
    await add('update/basic', { 'feature.ts': '' });
    await add('activity/shutdown', { 'feature.ts': '', 'config.json': '{"runVariants":[{"name":"v1","dynamicConfig":{"x":true}}]}' });
    await add('client/http_proxy', { 'feature.ts': '', 'config.json': '{"expectUnauthedProxyCount":1}' });
    await add('go_only/thing', { 'feature.go': '' });
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('finds every directory with a feature.ts, sorted, with its config', async () => {
    const found = await discoverFeatures(root);
    expect(found.map((f) => f.dir)).toEqual(['activity/shutdown', 'client/http_proxy', 'update/basic']);
    expect(found[0].config.runVariants?.[0]).toEqual({ name: 'v1', dynamicConfig: { x: true } });
    expect(found[1].config.expectUnauthedProxyCount).toBe(1);
    expect(found[2].config).toEqual({});
  });
});

describe('matchesPatterns', () => {
  it('matches everything without patterns', () => {
    expect(matchesPatterns('update/basic', [])).toBe(true);
  });

  it('matches globs on the directory or its feature file, as the Go runner does', () => {
    expect(matchesPatterns('update/basic', ['update/*'])).toBe(true);
    expect(matchesPatterns('update/basic', ['features/update/basic'])).toBe(true);
    expect(matchesPatterns('update/basic', ['*/basic'])).toBe(true);
    expect(matchesPatterns('update/basic', ['update/*/feature.go'])).toBe(false);
    expect(matchesPatterns('update/basic', ['update/b?sic/feature.ts'])).toBe(true);
    expect(matchesPatterns('signal/basic', ['update/*'])).toBe(false);
  });

  it('takes a plain pattern as a directory prefix too', () => {
    expect(matchesPatterns('data_converter/json', ['data_converter'])).toBe(true);
    expect(matchesPatterns('data_converter/json', ['data'])).toBe(false);
    expect(matchesPatterns('data_converter/json_protobuf', ['data_converter/json'])).toBe(false);
  });
});

describe('createsOwnOfficialWorker', () => {
  it('spots features that build their own official Worker', () => {
    expect(createsOwnOfficialWorker('const worker = await Worker.create({ ...runner.workerOpts })')).toBe(true);
    expect(createsOwnOfficialWorker('runner.worker.shutdown();')).toBe(false);
  });
});
