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
import { OutsideChanges } from './outside-changes.js';

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
 *
 * `leave(changed)` collects the active run's globals into its bag and puts the pristine ones
 * back. A full scan reads every global through the context's interceptors (~20 µs); so it only
 * looks at the keys that can differ: those the caller saw change on the contextified object
 * outside (`changed`, see outside-changes.ts), those the run's bag had put in place, the
 * pristine symbol keys, and, from the list of keys (one call), keys added or deleted. A global
 * object made non-extensible (frozen, sealed) gets the full scan, and `changed === undefined`
 * asks for it.
 */
const SWITCHER_SOURCE = `((hostKeys) => {
  const g = globalThis;
  const { ownKeys, getOwnPropertyDescriptor: describe, defineProperty, deleteProperty, isExtensible } = Reflect;
  const hasOwn = Object.prototype.hasOwnProperty;
  const pristineKeys = ownKeys(g);
  const pristine = new Map(pristineKeys.map((key) => [key, describe(g, key)]));
  const symbols = pristineKeys.filter((key) => typeof key === 'symbol');
  const same = (a, b) => a.value === b.value && a.get === b.get && a.set === b.set &&
    a.writable === b.writable && a.enumerable === b.enumerable && a.configurable === b.configurable;
  let active;
  // Moves the state of one key into bag (when it is not the pristine one) and restores the pristine one.
  const restore = (bag, key) => {
    const now = describe(g, key);
    const base = pristine.get(key);
    if (now === undefined) {
      if (base === undefined) return true;
      bag.set(key, null);
      return defineProperty(g, key, base);
    }
    if (base !== undefined && same(now, base)) return true;
    bag.set(key, now);
    return base === undefined ? deleteProperty(g, key) : defineProperty(g, key, base);
  };
  const fullScan = (bag) => {
    let clean = true;
    for (const key of ownKeys(g)) if (!hostKeys.has(key)) clean = restore(bag, key) && clean;
    for (const key of pristineKeys) if (!hasOwn.call(g, key)) clean = restore(bag, key) && clean;
    return clean;
  };
  const leave = (changed) => {
    if (active === undefined) return true;
    const bag = active;
    active = undefined;
    const candidates = new Set(bag.keys());
    bag.clear();
    if (changed === undefined || !isExtensible(g)) return fullScan(bag);
    for (const key of changed) candidates.add(key);
    for (const key of symbols) candidates.add(key);
    const keys = ownKeys(g);
    let present = 0;
    for (const key of keys) {
      if (pristine.has(key)) present++;
      else if (!hostKeys.has(key)) candidates.add(key);
    }
    if (present !== pristine.size) {
      const now = new Set(keys);
      for (const key of pristineKeys) if (!now.has(key)) candidates.add(key);
    }
    let clean = true;
    for (const key of candidates) if (!hostKeys.has(key)) clean = restore(bag, key) && clean;
    return clean;
  };
  const enter = (bag, changed) => {
    if (active === bag) return true;
    if (!leave(changed)) return false;
    for (const [key, descriptor] of bag) {
      if (descriptor === null) deleteProperty(g, key);
      else defineProperty(g, key, descriptor);
    }
    active = bag;
    return true;
  };
  return { enter, leave };
})`;

interface InsideSwitcher {
  enter(bag: GlobalsBag, changed: readonly PropertyKey[] | undefined): boolean;
  leave(changed: readonly PropertyKey[] | undefined): boolean;
}

/**
 * Snapshots the context's current globals as pristine and returns a switcher over them.
 * `hostKeys` are the sandbox's own plumbing globals, set from outside around each call: they
 * belong to no run, and keeping them in a bag would retain the last call's arguments.
 */
export function installGlobalsSwitcher(context: vm.Context, hostKeys: readonly string[]): GlobalsSwitcher {
  const install = vm.runInContext(SWITCHER_SOURCE, context, { filename: 'tempo-sandbox-globals.js' }) as (keys: Set<string>) => InsideSwitcher;
  const inside = install(new Set(hostKeys));
  const outside = new OutsideChanges(context, new Set<PropertyKey>(hostKeys));
  let active: GlobalsBag | undefined;
  return {
    enter(bag) {
      if (active === bag) return true;
      const ok = inside.enter(bag, outside.since());
      // What the run starts from: its changes from here on show up in `since()`.
      outside.mark();
      active = ok ? bag : undefined;
      return ok;
    },
    leave() {
      if (active === undefined) return true;
      const ok = inside.leave(outside.since());
      outside.mark();
      active = undefined;
      return ok;
    },
  };
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
