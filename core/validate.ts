import type { z } from 'zod';
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
