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
import { PROTO_SUBSET_JSON } from './proto-subset-data.js';

/** The parts of protobufjs used here (`protobufjs` is not a direct dependency of this package). */
interface ProtobufLight {
  Root: { fromJSON(json: unknown): unknown };
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

/** The subset's Root, with the package's namespace properties. */
export const protoRoot = patchProtobufRoot(protobuf.Root.fromJSON(JSON.parse(PROTO_SUBSET_JSON))) as SubsetRoot;
export const temporal = protoRoot.temporal;
export const coresdk = protoRoot.coresdk;
export const google = protoRoot.google;
