import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ModulePolicy } from '../../../core/runtime/module-policy.js';

const dir = mkdtempSync(path.join(tmpdir(), 'tempo-policy-'));
const roots = path.join(dir, 'roots');
const outside = path.join(dir, 'outside');
mkdirSync(path.join(roots, 'wf'), { recursive: true });
mkdirSync(path.join(roots, 'empty'));
mkdirSync(outside);
writeFileSync(path.join(roots, 'p.mjs'), 'export default {}');
writeFileSync(path.join(roots, 'wf', 'index.ts'), 'export {}');
writeFileSync(path.join(outside, 'x.mjs'), 'export default {}');
symlinkSync(path.join(outside, 'x.mjs'), path.join(roots, 'link.mjs'));
const builtin = (name: string) => `builtin-url:${name}`;
const policy = (allowRuntimeModules = false) => new ModulePolicy({ roots: ['.'], baseDir: roots, allowRuntimeModules });

describe('module policy', () => {
  it('admits files under the roots by path, file: URL or relative path, and builtins', () => {
    const p = policy();
    const url = pathToFileURL(path.join(roots, 'p.mjs')).href;
    expect(p.pluginTarget('./p.mjs', 'operator', builtin)).toBe(url);
    expect(p.pluginTarget(path.join(roots, 'p.mjs'), 'operator', builtin)).toBe(url);
    expect(p.pluginTarget(url, 'operator', builtin)).toBe(url);
    expect(p.pluginTarget('builtin:prometheus', 'request', builtin)).toBe('builtin-url:prometheus');
    expect(p.workflowsFile('wf', 'operator')).toBe(path.join(roots, 'wf', 'index.ts'));
  });

  it.each([
    ['data:text/javascript,1', /"data:" scheme/],
    ['node:fs', /"node:" scheme/],
    ['https://x/y.mjs', /"https:" scheme/],
    ['../outside/x.mjs', /outside the module roots/],
    ['./link.mjs', /is a link to .* outside the module roots/],
    ['./p.mjs\u0000', /NUL/],
    ['no-such-package-xyz', /no installed package resolves it/],
  ])('refuses %j before loading it (MODULE_REFUSED, naming the roots)', (specifier, message) => {
    expect(() => policy(true).pluginTarget(specifier, 'operator', builtin)).toThrow(expect.objectContaining({ code: 'MODULE_REFUSED', message: expect.stringMatching(message), roots: [roots] }));
  });

  it('refuses workflow paths that are missing, a directory without an index, or not a regular file', () => {
    const p = policy();
    expect(() => p.workflowsFile('missing.ts', 'operator')).toThrow(expect.objectContaining({ code: 'MODULE_REFUSED', message: expect.stringContaining('does not exist') }));
    expect(() => p.workflowsFile('empty', 'operator')).toThrow(expect.objectContaining({ message: expect.stringContaining('without an index file') }));
    expect(() => new ModulePolicy({ roots: ['/dev'], baseDir: roots, allowRuntimeModules: false }).workflowsFile('/dev/null', 'operator')).toThrow(expect.objectContaining({ message: expect.stringContaining('is a device') }));
  });

  it('a request may name only what the operator named, by any spelling, unless allowRuntimeModules', () => {
    const p = policy();
    expect(() => p.pluginTarget('./p.mjs', 'request', builtin)).toThrow(expect.objectContaining({ code: 'MODULE_NOT_CONFIGURED' }));
    expect(() => p.pluginTarget('./missing.mjs', 'request', builtin)).toThrow(expect.objectContaining({ code: 'MODULE_NOT_CONFIGURED' }));
    p.pluginTarget(path.join(roots, 'p.mjs'), 'operator', builtin);
    expect(p.pluginTarget(`./wf/../p.mjs`, 'request', builtin)).toBe(pathToFileURL(path.join(roots, 'p.mjs')).href);
    expect(policy(true).workflowsFile('wf/index.ts', 'request')).toBe(path.join(roots, 'wf', 'index.ts'));
  });
});
