import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { missingDependenciesMessage, prepareSuite } from '../../../test/conformance/suite-build.js';

describe('prepareSuite', () => {
  const dirs: string[] = [];
  afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it('refuses a directory that is not a temporalio/features checkout, naming what is missing', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'conformance-suite-'));
    dirs.push(dir);
    await expect(prepareSuite(dir, process.cwd())).rejects.toThrow(/does not look like a temporalio\/features checkout: features is missing/);
  });
});

describe('missingDependenciesMessage', () => {
  it('names each missing package, the features that need it, and how to install it outside this repo', () => {
    const text = missingDependenciesMessage('/s', ['ms', 'proto3-json-serializer']);
    expect(text).toContain('  - ms (needed by update/async_accepted)');
    expect(text).toContain('  - proto3-json-serializer (needed by data_converter/json_protobuf)');
    expect(text).toContain('cd /s && npm install');
  });
});
