/**
 * Base class of every error this runtime throws on purpose.
 *
 * `code` is stable and documented (docs/errors.md); messages say what was wrong and what to do.
 * Matching uses `code` rather than `instanceof`, because errors cross vm contexts and worker
 * threads, where class identity is lost but a plain string survives structured cloning.
 */
export class RuntimeError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Tells whether `err` is a {@link RuntimeError} with `code`, even across realms. */
export function hasErrorCode(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}

/** A call was made in a lifecycle state that does not allow it. */
export class IllegalStateError extends RuntimeError {
  constructor(message: string) {
    super('ILLEGAL_STATE', message);
  }
}

/** Configuration or input failed validation; the message names the field. */
export class ConfigError extends RuntimeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CONFIG_INVALID', message, options);
  }
}
