import { chmodSync, mkdirSync, mkdtempSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cacheRoot, privateCacheDir } from '../../../sandbox/cache-dir.js';

const scratch = () => mkdtempSync(path.join(os.tmpdir(), 'tempo-cache-dir-'));

describe('privateCacheDir', () => {
  it('uses TEMPO_CACHE_DIR, else XDG_CACHE_HOME, else ~/.cache', () => {
    expect(cacheRoot({ TEMPO_CACHE_DIR: '/x/y' })).toBe('/x/y');
    expect(cacheRoot({ XDG_CACHE_HOME: '/c' })).toBe('/c/tempo-worker');
    expect(cacheRoot({})).toBe(path.join(os.homedir(), '.cache', 'tempo-worker'));
  });

  it('creates the directory readable and writable by this user only', () => {
    const dir = privateCacheDir('bundles', { TEMPO_CACHE_DIR: path.join(scratch(), 'new') });
    expect(dir).toBeDefined();
    expect(statSync(dir!).mode & 0o777).toBe(0o700);
  });

  it('makes an existing directory that others could write private', () => {
    const root = scratch();
    const existing = path.join(root, 'sandbox');
    mkdirSync(existing);
    chmodSync(existing, 0o777);
    const dir = privateCacheDir('sandbox', { TEMPO_CACHE_DIR: root });
    expect(dir).toBe(existing);
    expect(statSync(existing).mode & 0o777).toBe(0o700);
  });
});
