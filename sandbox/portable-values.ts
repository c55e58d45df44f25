/**
 * Values that cross from a sandbox thread to the host: sink arguments and the workflow info
 * given with them. Structured cloning keeps most values but turns every error into a plain
 * `Error` (its name, `type`, `details`… lost) and refuses functions. So before the crossing
 * errors become marked plain objects and what cannot be cloned becomes its text; after it,
 * {@link revive} makes the errors again, with their name and own properties.
 */

/** The one key of a plain object that stands for an error on the way. */
const ERROR_KEY = '__tempo_error__';
/** Deeper than this, values are cloned as they are (a log attribute bag is a level or two). */
const MAX_DEPTH = 8;

interface PortableError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  readonly cause?: unknown;
  readonly props: Record<string, unknown>;
}

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  // Any realm's Object.prototype: values made in a workflow's vm context count too.
  return proto === null || Object.getPrototypeOf(proto) === null;
}

function cloneOrText(value: unknown): unknown {
  try {
    return structuredClone(value);
  } catch {
    return String(value);
  }
}

/** `value` as data that survives structured cloning (thread side). */
export function portable(value: unknown, depth = 0): unknown {
  if (typeof value === 'function' || typeof value === 'symbol') return String(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > MAX_DEPTH) return cloneOrText(value);
  if (Object.prototype.toString.call(value) === '[object Error]') {
    const err = value as Error & Record<string, unknown>;
    const marked: PortableError = {
      name: String(err.name),
      message: String(err.message),
      stack: typeof err.stack === 'string' ? err.stack : undefined,
      cause: err.cause === undefined ? undefined : portable(err.cause, depth + 1),
      props: portable({ ...err }, depth + 1) as Record<string, unknown>,
    };
    return { [ERROR_KEY]: marked };
  }
  if (Array.isArray(value)) return value.map((v) => portable(v, depth + 1));
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, portable(v, depth + 1)]));
  return cloneOrText(value); // Date, Map, typed arrays… clone as they are
}

/** The errors of a {@link portable} value made errors again (host side). */
export function revive(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(revive);
  if (!isPlainObject(value)) return value;
  const marked = (value as Record<string, unknown>)[ERROR_KEY] as PortableError | undefined;
  if (marked !== undefined && Object.keys(value).length === 1) {
    const err = new Error(marked.message, marked.cause === undefined ? undefined : { cause: revive(marked.cause) });
    Object.assign(err, revive(marked.props));
    err.name = marked.name;
    err.stack = marked.stack;
    return err;
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, revive(v)]));
}
