/**
 * protobufjs generates a type's codecs on its first use, five at once (`Type#setup`: encode,
 * decode, verify, fromObject, toObject), and a decode of a message sets up every type it meets.
 * The runtime encodes, decodes and builds (`fromObject`) hundreds of types and verifies or
 * prints a handful: here each type's `encode`, `decode` and `fromObject` are generated alone on
 * first call, with protobufjs' own generators and the same inputs `setup` gives them (about half
 * of a start's codec generation). `verify` and `toObject` still go through `setup`, which then
 * generates all five, as before; so does `fromObject` of a type protobufjs wraps (Any).
 */

/** The parts of protobufjs (its public generators and reflection) used here. */
export interface ProtobufCodegen {
  encoder(type: ReflectedType): (scope: object) => (message: unknown, writer?: unknown) => unknown;
  decoder(type: ReflectedType): (scope: object) => (reader: unknown, length?: number) => unknown;
  converter: { fromObject(type: ReflectedType): (scope: object) => (object: unknown) => unknown };
  wrappers: Readonly<Record<string, unknown>>;
  Writer: unknown;
  Reader: unknown;
  util: unknown;
}
export interface ReflectedType {
  readonly ctor: unknown;
  readonly fullName: string;
  readonly fieldsArray: ReadonlyArray<{ resolve(): { resolvedType: unknown } }>;
  encode(message: unknown, writer?: unknown): unknown;
  decode(reader: unknown, length?: number): unknown;
  fromObject(object: unknown): unknown;
  setup(): unknown;
}
interface Reflected {
  readonly fieldsArray?: unknown;
  readonly nestedArray?: readonly Reflected[];
}

/**
 * Gives every type under `root` lazy `encode`/`decode`. `resolveFeatures` must resolve the
 * root's editions features (field presence, packing) before the first codec is generated, as
 * `setup` does: calling `setup()` of any one type of the root does it for all.
 */
export function useLazyCodecs(root: object, pb: ProtobufCodegen, resolveFeatures: () => void): void {
  let resolved = false;
  const fieldTypes = (type: ReflectedType): unknown[] => {
    if (!resolved) {
      resolved = true;
      resolveFeatures();
    }
    return type.fieldsArray.map((field) => field.resolve().resolvedType);
  };
  const visit = (ns: Reflected): void => {
    for (const member of ns.nestedArray ?? []) {
      if (member.fieldsArray !== undefined) {
        const type = member as unknown as ReflectedType;
        // The field types first: the generators read the features they resolve.
        type.encode = function encodeOnFirstUse(this: ReflectedType, message, writer) {
          const types = fieldTypes(this);
          this.encode = pb.encoder(this)({ Writer: pb.Writer, types, util: pb.util });
          return this.encode(message, writer);
        };
        type.decode = function decodeOnFirstUse(this: ReflectedType, reader, length) {
          const types = fieldTypes(this);
          this.decode = pb.decoder(this)({ Reader: pb.Reader, types, util: pb.util, C: this.ctor });
          return this.decode(reader, length);
        };
        if (!pb.wrappers[type.fullName]) {
          type.fromObject = function fromObjectOnFirstUse(this: ReflectedType, object) {
            const types = fieldTypes(this);
            this.fromObject = pb.converter.fromObject(this)({ types, util: pb.util, C: this.ctor });
            return this.fromObject(object);
          };
        }
      }
      visit(member);
    }
  };
  visit(root as Reflected);
}
