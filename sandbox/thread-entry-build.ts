/**
 * Produces the file piscina loads in each sandbox thread.
 *
 * Worker threads do not inherit the loader that runs this module (vitest's or tsx's TypeScript
 * transform), so the thread entry is compiled with esbuild at start-up into one `.mjs` in a cache
 * directory. Our own modules are bundled into it; packages stay external but are rewritten to
 * absolute file URLs, because the `.mjs` lives outside the project and could not resolve them
 * by name. The same code path serves vitest, tsx and the compiled `dist/` (where the entry is
 * already `.js`).
 */
import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { builtinModules, createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { sha256 } from './bundle-cache.js';

const builtins = new Set(builtinModules);

/** Rewrites `import x from 'pkg'` to the package's absolute file URL, resolved from `fromFile`. */
function externalPackagesAsUrls(fromFile: string): Plugin {
  const require = createRequire(fromFile);
  return {
    name: 'tempo-external-packages',
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, (args) => {
        if (args.path.startsWith('node:') || builtins.has(args.path)) return { path: args.path, external: true };
        return { path: pathToFileURL(require.resolve(args.path)).href, external: true };
      });
    },
  };
}

/** The entry's source next to this module: `.ts` when running from source, `.js` from `dist/`. */
function entrySourcePath(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const ts = path.join(here, 'thread', 'entry.ts');
  return existsSync(ts) ? ts : path.join(here, 'thread', 'entry.js');
}

let built: Promise<string> | undefined;

/**
 * Builds the thread entry once per process and returns the path of the `.mjs`. The file name
 * carries a hash of its content, so processes running different versions never collide and an
 * unchanged entry is not rewritten.
 */
export function threadEntryFile(cacheDir = path.join(os.tmpdir(), 'tempo-sandbox')): Promise<string> {
  built ??= (async () => {
    const source = entrySourcePath();
    const result = await build({
      entryPoints: [source],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      sourcemap: 'inline',
      logLevel: 'silent',
      plugins: [externalPackagesAsUrls(source)],
    });
    const code = result.outputFiles[0]?.text ?? '';
    const file = path.join(cacheDir, `thread-${sha256(code).slice(0, 16)}.mjs`);
    if (!existsSync(file)) {
      await mkdir(cacheDir, { recursive: true });
      const temp = `${file}.${process.pid}.tmp`;
      await writeFile(temp, code);
      await rename(temp, file);
    }
    return file;
  })();
  // A failed build must not be remembered: the next create() tries again.
  built.catch(() => {
    built = undefined;
  });
  return built;
}
