// The default import is deliberate: `import { temporal } from '@temporalio/proto'` type-checks but
// fails under plain Node ESM and tsx, because the package is CommonJS with a computed export.
// The aliases below give one name that is both the runtime value and the namespace of types.
import proto from '@temporalio/proto';

export import temporal = proto.temporal;
export import coresdk = proto.coresdk;
export import google = proto.google;
