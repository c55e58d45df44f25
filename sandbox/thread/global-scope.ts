/**
 * Per-run globals inside a shared `vm` context.
 *
 * Workflow code (and the workflow library, which keeps its activator in
 * `globalThis.__TEMPORAL_ACTIVATOR__`) writes to the global object. When runs share a context,
 * each run must see only its own writes. The switcher keeps the global object *pristine* (as it
 * was right after the bundle was evaluated) plus the changes of exactly one run, the active one;
 * switching moves the active run's changes into its bag and applies the next run's bag. So a run
 * created later starts from the pristine globals, and nothing of an evicted run stays reachable.
 *
 * This isolates assignments to globals, not mutations of shared objects (`Math.random = f`
 * changes the one `Math`): {@link freezePristineGlobals} closes that hole for the global
 * namespace objects and the shared library modules. Prototypes of built-ins stay mutable, so
 * that polyfills keep working; a run that patches `Array.prototype` affects the other runs of
 * its context (use `isolation: 'context-per-run'` for code that does).
 */
import vm from 'node:vm';

/** A run's changes to the global object: descriptors it defined, `null` for keys it deleted. */
export type GlobalsBag = Map<PropertyKey, PropertyDescriptor | null>;

export interface GlobalsSwitcher {
  /**
   * Makes `bag` the active run's globals. Returns false if the previous run left a global that
   * cannot be restored (a non-configurable one it defined): the context is then unusable.
   */
  enter(bag: GlobalsBag): boolean;
  /** Moves the active run's changes into its bag and restores the pristine globals. */
  leave(): boolean;
}

/**
 * Compiled in the context, so that it sees the global object from the inside (the contextified
 * object outside mirrors it imperfectly) and uses the context's own `Reflect`.
 */
const SWITCHER_SOURCE = `((hostKeys) => {
  const g = globalThis;
  const { ownKeys, getOwnPropertyDescriptor: describe, defineProperty, deleteProperty } = Reflect;
  const hasOwn = Object.prototype.hasOwnProperty;
  const pristine = new Map(ownKeys(g).map((key) => [key, describe(g, key)]));
  const same = (a, b) => a.value === b.value && a.get === b.get && a.set === b.set &&
    a.writable === b.writable && a.enumerable === b.enumerable && a.configurable === b.configurable;
  let active;
  const leave = () => {
    if (active === undefined) return true;
    const bag = active;
    active = undefined;
    bag.clear();
    let clean = true;
    for (const key of ownKeys(g)) {
      if (hostKeys.has(key)) continue;
      const now = describe(g, key);
      const base = pristine.get(key);
      if (base !== undefined && same(now, base)) continue;
      bag.set(key, now);
      clean = (base === undefined ? deleteProperty(g, key) : defineProperty(g, key, base)) && clean;
    }
    for (const [key, base] of pristine) {
      if (hasOwn.call(g, key)) continue;
      bag.set(key, null);
      clean = defineProperty(g, key, base) && clean;
    }
    return clean;
  };
  const enter = (bag) => {
    if (active === bag) return true;
    if (!leave()) return false;
    for (const [key, descriptor] of bag) {
      if (descriptor === null) deleteProperty(g, key);
      else defineProperty(g, key, descriptor);
    }
    active = bag;
    return true;
  };
  return { enter, leave };
})`;

/**
 * Snapshots the context's current globals as pristine and returns a switcher over them.
 * `hostKeys` are the sandbox's own plumbing globals, set from outside around each call: they
 * belong to no run, and keeping them in a bag would retain the last call's arguments.
 */
export function installGlobalsSwitcher(context: vm.Context, hostKeys: readonly string[]): GlobalsSwitcher {
  const install = vm.runInContext(SWITCHER_SOURCE, context, { filename: 'tempo-sandbox-globals.js' }) as (keys: Set<string>) => GlobalsSwitcher;
  return install(new Set(hostKeys));
}

/** Globals that must stay mutable: the self-reference, and the library's destructor list. */
const UNFROZEN = new Set<PropertyKey>(['globalThis', '__temporal_globalSandboxDestructors']);

/**
 * Freezes the values of the context's current globals, and objects reachable from them through
 * object properties (the shared library's module exports are reachable from `__TEMPORAL__`).
 * Functions are frozen but not walked: their prototypes stay open for polyfills.
 */
export function freezePristineGlobals(context: vm.Context): void {
  const descriptors = vm.runInContext('Object.getOwnPropertyDescriptors(globalThis)', context) as Record<PropertyKey, PropertyDescriptor>;
  const seen = new WeakSet<object>();
  for (const key of Reflect.ownKeys(descriptors)) {
    if (!UNFROZEN.has(key)) deepFreeze(descriptors[key as string]?.value, seen);
  }
}

function deepFreeze(value: unknown, seen: WeakSet<object>): void {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return;
  const target = value as object;
  if (seen.has(target) || Object.isFrozen(target)) return;
  seen.add(target);
  if (typeof target === 'object') {
    for (const key of Reflect.ownKeys(target)) {
      let child: unknown;
      try {
        // Getters too: CommonJS re-exports are getters, and module exports are what must freeze.
        child = (target as Record<PropertyKey, unknown>)[key];
      } catch {
        continue;
      }
      deepFreeze(child, seen);
    }
  }
  try {
    Object.freeze(target);
  } catch {
    // Some objects cannot be frozen (typed arrays with elements); they are rare in globals.
  }
}
