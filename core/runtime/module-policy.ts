/**
 * Which modules the runtime may import (plugin modules) or bundle (workflowsPath). Code comes
 * from the operator, never from a request: every specifier is checked here before anything is
 * imported or bundled, by the plugin loader and by the worker factory alike.
 *
 * - URL schemes (`data:`, `http(s):`, `node:`, …) are refused; `builtin:` names our own plugins
 *   and `file:` URLs are treated as the path they name.
 * - A path (or an installed package, once resolved) must be a regular file under one of the
 *   module roots, symbolic links followed; FIFOs, devices and sockets are refused at once, since
 *   reading one blocks forever.
 * - A control-API request may only name a module the operator already named (in the config or
 *   the embedding code), unless `allowRuntimeModules` is on.
 */
import { realpathSync, statSync, type Stats } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ModuleRefusedError } from './errors.js';

/** Who names a module: the operator (config, embedding code) or a control-API request. */
export type ModuleOrigin = 'operator' | 'request';

/** Options of a {@link ModulePolicy}. */
export interface ModulePolicyOptions {
  /** Directories modules may come from; relative ones resolve against `baseDir`. */
  readonly roots: readonly string[];
  /** Base of relative specifiers. */
  readonly baseDir: string;
  /** Let requests name modules the operator did not configure (still under the roots). */
  readonly allowRuntimeModules: boolean;
}

/** What a specifier is used as, for messages and the API's `fields`. */
export interface ModuleUse {
  /** `Plugin module`, `workflowsPath`… */
  readonly what: string;
  /** The spec field, when it came from one. */
  readonly field?: string;
}

/** The files a directory given as workflowsPath may have as its index, in esbuild's order. */
const INDEX_FILES = ['index.ts', 'index.tsx', 'index.mts', 'index.cts', 'index.js', 'index.jsx', 'index.mjs', 'index.cjs'];
const SCHEME = /^([a-z][a-z0-9+.-]*):/i;
const WINDOWS_DRIVE = /^[a-z]:[\\/]/i;
const MAX_SHOWN = 200;

const shown = (s: string) => JSON.stringify(s.length > MAX_SHOWN ? `${s.slice(0, MAX_SHOWN)}…` : s);

function kindOf(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  if (st.isDirectory()) return 'a directory';
  return 'not a regular file';
}

const statOrUndefined = (file: string): Stats | undefined => {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
};

/** The module policy of one runtime; remembers the modules its operator named. */
export class ModulePolicy {
  /** Real paths of the roots (lexical ones when a root does not exist). */
  readonly roots: readonly string[];
  /** The roots as given and as real paths: a lexical path is checked against either. */
  private readonly anyRoots: readonly string[];
  private readonly configured = new Set<string>();

  constructor(private readonly options: ModulePolicyOptions) {
    const given = options.roots.map((r) => path.resolve(options.baseDir, r));
    this.roots = [...new Set(given.map(real))];
    this.anyRoots = [...new Set([...given, ...this.roots])];
  }

  /**
   * The `import()` target of a plugin specifier: a `file:` URL of a regular file under the roots,
   * or the URL of a built-in plugin (`builtin` maps names to URLs). Throws {@link ModuleRefusedError}.
   * A path under the roots that does not exist is returned as is: importing it fails, running nothing.
   */
  pluginTarget(specifier: string, origin: ModuleOrigin, builtin: (name: string) => string): string {
    if (specifier.startsWith('builtin:')) return builtin(specifier.slice('builtin:'.length));
    const use = { what: 'Plugin module' };
    const file = this.locate(specifier, use, 'package');
    const st = statOrUndefined(file);
    if (!st && origin === 'request' && !this.options.allowRuntimeModules) throw this.notConfigured(specifier, file, use);
    if (!st) return pathToFileURL(file).href; // importing it fails, running nothing
    return pathToFileURL(this.admit(specifier, file, st, origin, use)).href;
  }

  /**
   * The absolute file a workflowsPath names (a directory's index file), checked like a plugin
   * module; a missing file is refused too, since nothing may be bundled from it. Other code paths
   * of a spec (converter modules, a prebuilt bundle) are checked the same way, under their `field`.
   */
  workflowsFile(specifier: string, origin: ModuleOrigin, field = 'workflowsPath'): string {
    const use = { what: field, field };
    let file = this.locate(specifier, use, 'path');
    let st = statOrUndefined(file);
    if (!st) throw this.refuse('MODULE_REFUSED', specifier, use, `${file} does not exist`);
    if (st.isDirectory()) {
      const index = INDEX_FILES.map((n) => path.join(file, n)).find((f) => statOrUndefined(f) !== undefined);
      if (!index) throw this.refuse('MODULE_REFUSED', specifier, use, `${file} is a directory without an index file (${INDEX_FILES.join(', ')})`);
      file = index;
      st = statSync(file);
    }
    return this.admit(specifier, file, st, origin, use);
  }

  /**
   * The absolute path a specifier names, refusing URL schemes and paths outside the roots. A bare
   * name (`orders`, `lib/x.ts`) is an installed package for plugins and a relative path for
   * workflowsPath, as the official worker's workflowsPath is a path.
   */
  private locate(specifier: string, use: ModuleUse, bare: 'package' | 'path'): string {
    if (specifier.includes('\u0000')) throw this.refuse('MODULE_REFUSED', specifier, use, 'it contains a NUL character');
    const scheme = SCHEME.exec(specifier)?.[1]?.toLowerCase();
    let file: string;
    if (scheme && !WINDOWS_DRIVE.test(specifier)) {
      if (scheme !== 'file') throw this.refuse('MODULE_REFUSED', specifier, use, `the "${scheme}:" scheme is not allowed`);
      try {
        file = fileURLToPath(specifier);
      } catch (err) {
        throw this.refuse('MODULE_REFUSED', specifier, use, `it is not a valid file: URL (${(err as Error).message})`);
      }
    } else if (bare === 'path' || specifier.startsWith('.') || path.isAbsolute(specifier)) {
      file = path.resolve(this.options.baseDir, specifier);
    } else {
      file = this.resolvePackage(specifier, use);
    }
    if (!this.underRoots(file, this.anyRoots)) throw this.refuse('MODULE_REFUSED', specifier, use, `${file} is outside the module roots`);
    return file;
  }

  /** An installed package, resolved from the base dir the way `require` does (then `import`). */
  private resolvePackage(specifier: string, use: ModuleUse): string {
    try {
      return createRequire(path.join(this.options.baseDir, 'package.json')).resolve(specifier);
    } catch (first) {
      try {
        // ESM-only packages (exports with an `import` condition only); resolved from this package.
        return fileURLToPath(import.meta.resolve(specifier));
      } catch {
        throw this.refuse('MODULE_REFUSED', specifier, use, `no installed package resolves it from ${this.options.baseDir} (${(first as Error).message.split('\n')[0]})`);
      }
    }
  }

  /** Checks an existing file (real path, regular, under the roots, configured) and records operator ones. */
  private admit(specifier: string, file: string, st: Stats, origin: ModuleOrigin, use: ModuleUse): string {
    if (!st.isFile()) throw this.refuse('MODULE_REFUSED', specifier, use, `${file} is ${kindOf(st)}, not a regular file`);
    const target = real(file);
    if (!this.underRoots(target, this.roots)) throw this.refuse('MODULE_REFUSED', specifier, use, `${file} is a link to ${target}, outside the module roots`);
    if (origin === 'operator') this.configured.add(target);
    else if (!this.options.allowRuntimeModules && !this.configured.has(target)) throw this.notConfigured(specifier, target, use);
    return target;
  }

  private notConfigured(specifier: string, file: string, use: ModuleUse): ModuleRefusedError {
    const why = `a control-API request may only name modules the operator configured (config plugins, workers' workflowsPath, the embedding code), and ${file} is not one; configure it, or start the runtime with allowRuntimeModules: true`;
    return this.refuse('MODULE_NOT_CONFIGURED', specifier, use, why);
  }

  private underRoots(file: string, roots: readonly string[]): boolean {
    return roots.some((root) => {
      const rel = path.relative(root, file);
      return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
    });
  }

  private refuse(code: 'MODULE_REFUSED' | 'MODULE_NOT_CONFIGURED', specifier: string, use: ModuleUse, why: string): ModuleRefusedError {
    const where = `module roots: [${this.roots.join(', ')}] (moduleRoots)`;
    const message = `${use.what} ${shown(specifier)} refused before loading anything: ${why}. Modules load only from regular files under the ${where}, builtin: plugins, or installed packages resolving there.`;
    return new ModuleRefusedError(code, message, specifier, this.roots, use.field);
  }
}

/** The real path of `p`, or `p` itself when it does not exist. */
function real(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}
