/**
 * Bundles made by the official `bundleWorkflowCode` (webpack), run in our sandbox.
 *
 * Such a bundle defines `__TEMPORAL__` with `api`, `importWorkflows()` and `importInterceptors()`
 * like ours, and routes webpack's module cache through `globalThis.__webpack_module_cache__`,
 * which the host must provide. Our shared contexts need each run to get its own module
 * instances; the official worker gets them by pointing that cache at the current activator's
 * `moduleCache` (modules loaded before any run exists, the workflow library's, stay shared).
 * We do the same from inside the script, so the sandbox threads run it like one of ours.
 */
import { USER_MODULES_MARKER } from './bundle-parts.js';

const MODULE_CACHE_GLOBAL = 'globalThis.__webpack_module_cache__';

/** True for the output of the official bundler (1.11 and later route the module cache through a global). */
export function isOfficialBundle(code: string): boolean {
  return code.includes(MODULE_CACHE_GLOBAL) && code.includes('__TEMPORAL__');
}

const PROLOGUE = `(function () {
  var shared = new Map();
  var own = function () { var a = globalThis.__TEMPORAL_ACTIVATOR__; return a && a.moduleCache; };
  var cache = new Proxy({}, {
    get: function (_, id) { var m = shared.get(id); if (m) return m; var c = own(); return c && c.get(id); },
    set: function (_, id, value) { var c = own(); if (c) c.set(id, value); else shared.set(id, value); return true; },
  });
  Object.defineProperty(globalThis, '__webpack_module_cache__', { value: cache, writable: false, enumerable: false, configurable: false });
})();`;

/**
 * The marker our shared contexts check for: per-run module state is provided (by the cache
 * above); user modules are loaded by the bundle's own `importWorkflows()`, so it is never called.
 */
const EPILOGUE = `${USER_MODULES_MARKER} () { throw new Error('not used: this bundle keeps per-run modules in the activator'); };`;

/** The official bundle's code, made ready for our sandbox threads. */
export function adaptOfficialBundle(code: string): string {
  return `${PROLOGUE}\n${code}\n${EPILOGUE}\n`;
}
