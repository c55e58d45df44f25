/**
 * The run-time values behind proto.ts: a protobufjs Root of the subset in proto-subset-data.ts,
 * built with the protobufjs instance `@temporalio/proto` itself uses (same codecs, same Long) and
 * given the package's namespace shape (`temporal.api.…` as properties) by its own helper.
 *
 * It is a Root of its own, never registered as `protobuf.roots.__temporal`: the full package,
 * when something loads it (`@temporalio/client`, user code), still builds its complete root.
 * Messages decoded here are plain protobufjs messages; code of other packages reads their fields.
 */
import { createRequire } from 'node:module';
import type * as full from '@temporalio/proto';
import { useLazyCodecs, type ProtobufCodegen, type ReflectedType } from './proto-lazy-codecs.js';
import { PROTO_SUBSET_JSON } from './proto-subset-data.js';

/** The parts of protobufjs used here (`protobufjs` is not a direct dependency of this package). */
interface ProtobufLight extends ProtobufCodegen {
  Root: new () => { addJSON(nested: unknown): unknown };
}
interface ProtoInternals {
  patchProtobufRoot<T>(root: T): T;
}
interface SubsetRoot {
  temporal: typeof full.temporal;
  coresdk: typeof full.coresdk;
  google: typeof full.google;
  lookup(path: string): unknown;
  lookupType(path: string): unknown;
}

const require = createRequire(import.meta.url);
const requireFromProto = createRequire(require.resolve('@temporalio/proto'));
const protobuf = requireFromProto('protobufjs/light') as ProtobufLight;
const { patchProtobufRoot } = require('@temporalio/proto/lib/patch-protobuf-root') as ProtoInternals;

/**
 * The subset's Root, with the package's namespace properties. Built as the package builds its own
 * (`addJSON`, not `Root.fromJSON`, which would also resolve every field now: ~15 ms that each
 * type's first use does for itself).
 */
const root = new protobuf.Root().addJSON((JSON.parse(PROTO_SUBSET_JSON) as { nested: unknown }).nested) as SubsetRoot;
useLazyCodecs(root, protobuf, () => (root.lookupType('google.protobuf.Duration') as ReflectedType).setup());
export const protoRoot = patchProtobufRoot(root);
export const temporal = protoRoot.temporal;
export const coresdk = protoRoot.coresdk;
export const google = protoRoot.google;
