/**
 * Produces the file piscina loads in each sandbox thread.
 *
 * Worker threads do not inherit the loader that runs this module (vitest's or tsx's TypeScript
 * transform), so the thread entry is compiled with esbuild (on the first start after a change)
 * into one `.mjs` in a cache directory, packages and all: nothing in it is resolved by name, so it
 * runs from outside the project, and one file loads in about half the time of the same code spread
 * over its packages' modules. The same code path serves vitest, tsx and the compiled `dist/`
 * (where the entry is already `.js`).
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { digestInputs, sha256 } from './bundle-cache.js';
import { privateCacheDir } from './cache-dir.js';
import { protoJsonModuleFile, protoSubsetPlugin } from './thread-proto-subset.js';

/** The entry's source next to this module: `.ts` when running from source, `.js` from `dist/`. */
function entrySourcePath(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const ts = path.join(here, 'thread', 'entry.ts');
  return existsSync(ts) ? ts : path.join(here, 'thread', 'entry.js');
}

let built: Promise<string> | undefined;

/** Bumped whenever the build options below change, so an entry built the old way is not reused. */
const BUILD_LAYOUT = 'packages-bundled-proto-subset-3';

/** What the last build read, so a start with unchanged sources skips esbuild (tens of ms). */
interface Manifest {
  source: string;
  inputs: string[];
  inputsDigest: string;
  file: string;
}

async function readManifest(file: string, source: string): Promise<string | undefined> {
  try {
    const m = JSON.parse(await readFile(file, 'utf8')) as Manifest;
    if (m.source !== source || !existsSync(m.file) || digestInputs(m.inputs) !== m.inputsDigest) return undefined;
    return m.file;
  } catch {
    return undefined; // missing or corrupt: rebuild
  }
}

/**
 * Builds the thread entry once per process and returns the path of the `.mjs`. The file name
 * carries a hash of its content, so processes running different versions never collide and an
 * unchanged entry is not rewritten. The directory is private to the user (see cache-dir.ts): the
 * file is executed, so nobody else may be able to put one there; without one, a fresh temporary
 * directory of this process is used.
 */
export function threadEntryFile(cacheDir?: string): Promise<string> {
  built ??= (async () => {
    const dir = cacheDir ?? privateCacheDir('sandbox') ?? (await mkdtemp(path.join(os.tmpdir(), 'tempo-sandbox-')));
    const source = entrySourcePath();
    const manifestFile = path.join(dir, `thread-entry-${sha256(source, BUILD_LAYOUT).slice(0, 16)}.json`);
    const hit = await readManifest(manifestFile, source);
    if (hit) return hit;
    const { build } = await import('esbuild');
    const result = await build({
      entryPoints: [source],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      // Linked, not inline: an inline map of the bundled packages would triple what the thread parses.
      sourcemap: 'linked',
      outdir: dir,
      logLevel: 'silent',
      metafile: true,
      // The CommonJS modules of packages in it may still require built-ins.
      plugins: [protoSubsetPlugin()],
      banner: { js: "import { createRequire as __tempoCreateRequire } from 'node:module'; const require = __tempoCreateRequire(import.meta.url);" },
    });
    const code = result.outputFiles.find((f) => f.path.endsWith('.js'))?.text ?? '';
    const map = result.outputFiles.find((f) => f.path.endsWith('.map'))?.text;
    const name = `thread-${sha256(code, map ?? '').slice(0, 16)}`;
    const file = path.join(dir, `${name}.mjs`);
    await mkdir(dir, { recursive: true });
    if (!existsSync(file)) {
      if (map !== undefined) await writeAtomically(path.join(dir, `${name}.mjs.map`), map);
      await writeAtomically(file, code.replace(/\/\/# sourceMappingURL=\S+\s*$/, `//# sourceMappingURL=${name}.mjs.map\n`));
    }
    // The subset replaced the JSON module's code, so its bytes count only through this.
    const inputs = [...Object.keys(result.metafile.inputs).map((p) => path.resolve(p)), protoJsonModuleFile()];
    const inputsDigest = digestInputs(inputs);
    if (inputsDigest) await writeAtomically(manifestFile, JSON.stringify({ source, inputs, inputsDigest, file } satisfies Manifest));
    return file;
  })();
  // A failed build must not be remembered: the next create() tries again.
  built.catch(() => {
    built = undefined;
  });
  return built;
}

/** Write then rename, so a concurrent reader never sees half a file. */
async function writeAtomically(file: string, data: string): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, data);
  await rename(temp, file);
}
