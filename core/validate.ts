import { z } from 'zod';
import { ConfigError } from './errors.js';

/**
 * Validates `input` against `schema` and throws one {@link ConfigError} that names every bad
 * field (`what.field: message`). Used once at each edge; code inside trusts the result.
 */
export function validate<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const field = issue.path.length ? `${what}.${issue.path.join('.')}` : what;
    return `${field}: ${issue.message}`;
  });
  throw new ConfigError(`Invalid ${what}: ${lines.join('; ')}`, { cause: result.error });
}

const LONE_SURROGATE = /\p{Cs}/u;

/**
 * A name the Temporal server takes as it is (task queue, namespace, identity): what the server
 * refuses is refused here first, with a message, instead of a gRPC error at the first poll.
 * Measured on Server 1.32: a length limit in UTF-8 bytes (1000 for task queues: "taskQueue length
 * exceeds limit"), invalid UTF-8 ("string field contains invalid UTF-8", which a lone surrogate
 * becomes), and the reserved `/_sys/` task queue prefix. NUL is refused too: the server takes it,
 * but it cannot travel in gRPC metadata and it separates fields in our own keys.
 */
export function temporalName(opts: { maxBytes: number; reservedPrefix?: string }) {
  return z
    .string({ error: (i) => (i.input === undefined ? 'is required' : 'must be a string') })
    .min(1, 'must not be empty')
    .refine((s) => !s.includes('\u0000'), 'must not contain NUL (\\u0000)')
    .refine((s) => !LONE_SURROGATE.test(s), 'must not contain a lone surrogate (it is not valid UTF-8)')
    .refine((s) => Buffer.byteLength(s, 'utf8') <= opts.maxBytes, `must be at most ${opts.maxBytes} bytes in UTF-8`)
    .refine((s) => !opts.reservedPrefix || !s.startsWith(opts.reservedPrefix), `must not start with the server's reserved prefix ${opts.reservedPrefix ?? ''}`);
}
