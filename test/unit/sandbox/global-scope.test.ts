import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { installGlobalsSwitcher, type GlobalsBag } from '../../../sandbox/thread/global-scope.js';

const HOST_KEYS = ['__host_call'];

/** A context with globals of the three kinds a sandbox context has: built-ins, defined from outside, and a symbol. */
function newContext() {
  const context = vm.createContext({});
  Object.defineProperty(context, 'injected', { value: { name: 'injected' }, writable: true, enumerable: true, configurable: true });
  vm.runInContext(`globalThis.library = { name: 'library' }; globalThis[Symbol.for('pristine-symbol')] = 'pristine';`, context);
  const switcher = installGlobalsSwitcher(context, HOST_KEYS);
  // What a run sees of one global, read from the inside: own or not, and its descriptor's parts.
  const view = vm.runInContext(`((describe) => (key) => {
    const d = describe(globalThis, key);
    return d === undefined ? ['absent'] : ['own', d.value, d.get, d.set, d.writable, d.enumerable, d.configurable];
  })(Reflect.getOwnPropertyDescriptor)`, context) as (key: PropertyKey) => unknown[];
  const run = (code: string) => vm.runInContext(code, context);
  return { context, switcher, view, run };
}

/** Each way a run can change a global, and the key it changes. */
const MUTATIONS: Array<[string, PropertyKey, string]> = [
  ['assignment of a new global', 'added', 'globalThis.added = 1'],
  ['sloppy assignment of a new global', 'sloppy', 'sloppy = 2'],
  ['definition of a new global', 'defined', 'Object.defineProperty(globalThis, "defined", { value: 4, configurable: true })'],
  ['definition of a new accessor', 'accessor', 'Object.defineProperty(globalThis, "accessor", { get() { return 5; }, configurable: true })'],
  ['assignment of a built-in', 'Math', 'globalThis.Math = 6'],
  ['redefinition of a built-in', 'JSON', 'Object.defineProperty(globalThis, "JSON", { value: 7, writable: true, configurable: true })'],
  ['deletion of a built-in', 'Atomics', 'delete globalThis.Atomics'],
  ['assignment of a global defined from outside', 'injected', 'globalThis.injected = 8'],
  ['deletion of a global defined from outside', 'injected', 'delete globalThis.injected'],
  ['assignment of a library global', 'library', 'globalThis.library = 9'],
  ['deletion of a library global', 'library', 'delete globalThis.library'],
  ['a new symbol-keyed global', Symbol.for('run-symbol'), 'globalThis[Symbol.for("run-symbol")] = 10'],
  ['assignment of a pristine symbol-keyed global', Symbol.for('pristine-symbol'), 'globalThis[Symbol.for("pristine-symbol")] = 11'],
  ['deletion of a pristine symbol-keyed global', Symbol.for('pristine-symbol'), 'delete globalThis[Symbol.for("pristine-symbol")]'],
];

describe('the per-run globals switch of a shared context', () => {
  it.each(MUTATIONS)('%s stays in its run', (_name, key, code) => {
    const { switcher, view, run } = newContext();
    const a: GlobalsBag = new Map();
    const b: GlobalsBag = new Map();
    const pristine = view(key);
    expect(switcher.enter(a)).toBe(true);
    run(code);
    const changed = view(key);
    expect(changed).not.toEqual(pristine);
    expect(switcher.enter(b)).toBe(true);
    expect(view(key)).toEqual(pristine);
    expect(switcher.enter(a)).toBe(true);
    expect(view(key)).toEqual(changed);
    expect(switcher.leave()).toBe(true);
    expect(view(key)).toEqual(pristine);
    expect(switcher.enter(a)).toBe(true);
    expect(view(key)).toEqual(changed);
  });

  it('runs changing globals in turn each see only their own, over many switches', () => {
    const { switcher, view, run } = newContext();
    const bags = [0, 1, 2].map((): GlobalsBag => new Map());
    const keys = ['x', 'Math', 'injected', 'library'];
    const pristine = keys.map((key) => view(key));
    const seen: unknown[][][] = bags.map(() => pristine);
    for (let step = 0; step < 30; step++) {
      const i = step % 3;
      expect(switcher.enter(bags[i]!)).toBe(true);
      expect(keys.map((key) => view(key))).toEqual(seen[i]);
      const key = keys[(step * 7 + i) % keys.length]!;
      run(step % 4 === 3 ? `delete globalThis[${JSON.stringify(key)}]` : `globalThis[${JSON.stringify(key)}] = ${step}`);
      seen[i] = keys.map((k) => view(k));
    }
    expect(switcher.leave()).toBe(true);
    expect(keys.map((key) => view(key))).toEqual(pristine);
  });

  it('the host keys belong to no run', () => {
    const { context, switcher, view } = newContext();
    const a: GlobalsBag = new Map();
    switcher.enter(a);
    (context as Record<string, unknown>).__host_call = 'set by the host';
    switcher.enter(new Map());
    expect(a.has('__host_call')).toBe(false);
    expect(view('__host_call')[1]).toBe('set by the host');
  });

  it.each([
    ['a non-configurable definition', 'Object.defineProperty(globalThis, "stuck", { value: 1, configurable: false })'],
    ['a top-level var declaration', 'var declared = 3'],
    ['a top-level function declaration', 'function fn() {}'],
    ['attributes set on a built-in (which leaves it non-configurable)', 'Object.defineProperty(globalThis, "Reflect", { enumerable: true })'],
  ])('a global the run cannot give back (%s): the switch says so', (_name, code) => {
    const { switcher, run } = newContext();
    switcher.enter(new Map());
    run(code);
    expect(switcher.enter(new Map())).toBe(false);
  });
});
