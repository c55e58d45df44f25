/**
 * Which globals of a `vm` context changed, read from the outside: cheaply.
 *
 * Inside a context, every read of a global goes through Node's interceptors on the global proxy,
 * which makes scanning all ~70 globals from the inside cost ~20 µs. The contextified object on
 * the outside is a plain object that those interceptors keep in step: an assignment or a
 * definition inside (`x = 1`, `globalThis.Math = m`, `Object.defineProperty(globalThis, …)`,
 * `var`, a function declaration) lands on it too, and deleting a global defined there removes
 * it. What it does not see is a symbol-keyed global and the deletion of a built-in, which live
 * only on the real global: the inside switcher finds those in the list of keys (see
 * global-scope.ts). Comparing this object with a snapshot costs under a microsecond.
 */
type Descriptors = Map<PropertyKey, PropertyDescriptor>;

function same(a: PropertyDescriptor, b: PropertyDescriptor): boolean {
  return a.value === b.value && a.get === b.get && a.set === b.set && a.writable === b.writable && a.enumerable === b.enumerable && a.configurable === b.configurable;
}

export class OutsideChanges {
  readonly #object: object;
  readonly #ignored: ReadonlySet<PropertyKey>;
  #snapshot: Descriptors;

  /** @param ignored keys the host itself sets around each call (they belong to no run) */
  constructor(contextified: object, ignored: ReadonlySet<PropertyKey>) {
    this.#object = contextified;
    this.#ignored = ignored;
    this.#snapshot = this.#read();
  }

  /** Keys that differ from the last {@link mark}: added, removed or redefined. */
  since(): PropertyKey[] {
    const now = this.#read();
    const changed: PropertyKey[] = [];
    for (const [key, descriptor] of now) {
      const before = this.#snapshot.get(key);
      if (before === undefined || !same(before, descriptor)) changed.push(key);
    }
    for (const key of this.#snapshot.keys()) if (!now.has(key)) changed.push(key);
    return changed;
  }

  /** Remembers the current state; {@link since} reports changes from here on. */
  mark(): void {
    this.#snapshot = this.#read();
  }

  #read(): Descriptors {
    const out: Descriptors = new Map();
    for (const key of Reflect.ownKeys(this.#object)) {
      if (this.#ignored.has(key)) continue;
      const descriptor = Reflect.getOwnPropertyDescriptor(this.#object, key);
      if (descriptor !== undefined) out.set(key, descriptor);
    }
    return out;
  }
}
