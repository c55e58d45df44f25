/**
 * A part of `@temporalio/proto`'s Temporal API: the descriptors of some named types and of every
 * type and enum their fields reach, as protobufjs' `toJSON` gives them. A protobufjs Root built
 * from it has the same codecs for those types as the package's full root (~1,060 types, ~60–80 ms
 * to build), at a fraction of the cost. The main thread's subset (proto-subset-data.ts) and the
 * sandbox thread's (sandbox/thread-proto-subset.ts) are both made here.
 */

/** What protobufjs' `toJSON` gives and `addJSON` takes; a namespace or type descriptor. */
export type Descriptor = { nested?: Record<string, Descriptor> } & Record<string, unknown>;

/** The part of protobufjs' reflection objects used here (the package's types are generated ones). */
interface Reflected {
  readonly name: string;
  readonly parent: Reflected | null;
  readonly fieldsArray?: ReadonlyArray<{ resolve(): { resolvedType: Reflected | null } }>;
  readonly nestedArray?: readonly Reflected[];
  /** Set on enums only. */
  readonly values?: Readonly<Record<string, number>>;
  toJSON(): Descriptor;
}

/** What a Root offers to find a reflection object by its full name. */
export interface ReflectionRoot {
  lookup(path: string): unknown;
}

const isType = (r: Reflected | null): boolean => r?.fieldsArray !== undefined;
const isEnum = (r: Reflected | null): boolean => r?.values !== undefined;

/**
 * The descriptor tree of `names` and what their fields reach. A name may be a type, an enum, or
 * a namespace (a proto package such as `temporal.api.enums.v1`: all its types and enums).
 * Throws for a name the root does not have.
 */
export function reachableDescriptor(root: ReflectionRoot, names: Iterable<string>): Descriptor {
  const kept = new Set<Reflected>();
  const visit = (t: Reflected | null): void => {
    if (t === null || kept.has(t)) return;
    kept.add(t);
    // A nested type comes with its parent type, whose descriptor holds it.
    if (isType(t.parent)) visit(t.parent);
    for (const field of t.fieldsArray ?? []) visit(field.resolve().resolvedType);
    for (const nested of t.nestedArray ?? []) if (isType(nested)) visit(nested);
  };
  for (const name of names) {
    const found = root.lookup(name) as Reflected | null;
    if (!found) throw new Error(`@temporalio/proto has no ${name}`);
    if (isType(found) || isEnum(found)) visit(found);
    else for (const member of found.nestedArray ?? []) if (isType(member) || isEnum(member)) visit(member);
  }
  const tree: Descriptor = {};
  for (const t of kept) {
    if (isType(t.parent)) continue; // inside its parent's descriptor
    const path: string[] = [];
    for (let p = t.parent; p !== null && p.parent !== null; p = p.parent) path.unshift(p.name);
    let node = tree;
    for (const name of path) node = ((node.nested ??= {})[name] ??= {});
    (node.nested ??= {})[t.name] = t.toJSON();
  }
  return tree;
}
