import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleWorkflowCode } from '../../../sandbox/bundler.js';
import { ForbiddenImportError } from '../../../sandbox/errors.js';

const fixtures = path.resolve('test/fixtures/workflows/sandbox');
// Inside the repo (gitignored) so that the copies resolve @temporalio/workflow from node_modules.
const scratch = path.resolve('.cache/sandbox-tests', `bundler-${process.pid}`);

describe('bundleWorkflowCode', () => {
  afterAll(() => rm(scratch, { recursive: true, force: true }));

  it('bundles the hello workflow into one script defining __TEMPORAL__', async () => {
    const started = performance.now();
    const bundle = await bundleWorkflowCode({ workflowsPath: path.join(fixtures, 'hello.ts'), sourceMap: false });
    const elapsed = performance.now() - started;
    expect(bundle.code).toMatch(/^var __TEMPORAL__ = /);
    expect(bundle.id).toMatch(/^[0-9a-f]{32}$/);
    expect(bundle.inputs).toContain(path.join(fixtures, 'hello.ts'));
    expect(bundle.sourceMap).toBeUndefined();
    expect(elapsed).toBeLessThan(2000); // generous for CI; bench/bundle.bench.ts measures properly
  });

  it('rejects a Node built-in import, naming the module and the importing file', async () => {
    const err = await bundleWorkflowCode({ workflowsPath: path.join(fixtures, 'forbidden.ts') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ForbiddenImportError);
    expect(err).toMatchObject({ code: 'WORKFLOW_BUNDLE_FORBIDDEN_IMPORT', imports: [{ module: 'fs', importer: expect.stringContaining('forbidden.ts') }] });
    expect((err as Error).message).toContain("'fs' imported by");
    expect((err as Error).message).toContain('forbidden.ts');
  });

  it('accepts a forbidden import listed in ignoreModules', async () => {
    const bundle = await bundleWorkflowCode({ workflowsPath: path.join(fixtures, 'forbidden.ts'), ignoreModules: ['fs'] });
    expect(bundle.code).toContain('readsFiles');
  });

  it('serves unchanged inputs from the cache and rebuilds when a file changes', async () => {
    await mkdir(scratch, { recursive: true });
    await cp(fixtures, scratch, { recursive: true });
    const workflowsPath = path.join(scratch, 'hello.ts');
    const cacheDir = path.join(scratch, 'cache');
    const first = await bundleWorkflowCode({ workflowsPath, cacheDir });
    const started = performance.now();
    const second = await bundleWorkflowCode({ workflowsPath, cacheDir });
    expect(performance.now() - started).toBeLessThan(50);
    expect(second).toBe(first);

    const source = await readFile(workflowsPath, 'utf8');
    await writeFile(workflowsPath, source.replace("'hello started'", "'hello begun'"));
    const changed = await bundleWorkflowCode({ workflowsPath, cacheDir });
    expect(changed.id).not.toBe(first.id);
    expect(changed.code).toContain('hello begun');
  });
});
