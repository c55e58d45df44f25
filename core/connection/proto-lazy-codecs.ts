/**
 * protobufjs generates a type's codecs on its first use, five at once (`Type#setup`: encode,
 * decode, verify, fromObject, toObject), and a decode of a message sets up every type it meets.
 * The runtime encodes and decodes hundreds of types and converts a handful: here each type's
 * `encode` and `decode` are generated alone on first call, with protobufjs' own generators and
 * the same inputs `setup` gives them (about half of a start's codec generation). The rest still
 * goes through `setup`, which then generates all five, as before.
 */

/** The parts of protobufjs (its public generators and reflection) used here. */
export interface ProtobufCodegen {
  encoder(type: ReflectedType): (scope: object) => (message: unknown, writer?: unknown) => unknown;
  decoder(type: ReflectedType): (scope: object) => (reader: unknown, length?: number) => unknown;
  Writer: unknown;
  Reader: unknown;
  util: unknown;
}
export interface ReflectedType {
  readonly ctor: unknown;
  readonly fieldsArray: ReadonlyArray<{ resolve(): { resolvedType: unknown } }>;
  encode(message: unknown, writer?: unknown): unknown;
  decode(reader: unknown, length?: number): unknown;
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
      }
      visit(member);
    }
  };
  visit(root as Reflected);
}
