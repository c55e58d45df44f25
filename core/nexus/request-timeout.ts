/**
 * The `Request-Timeout` header of a Nexus request: a Go duration (`10m`, `1m30.5s`, `88.458µs`,
 * `125ns`), as the server writes it. Negative means already expired (0); anything unreadable is
 * no timeout here, as in the official core: the server enforces its own deadline anyway.
 */
const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/** Milliseconds, or undefined without a readable header. */
export function parseRequestTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  let text = value.trim();
  const negative = text.startsWith('-');
  if (negative || text.startsWith('+')) text = text.slice(1);
  if (text === '0') return 0;
  if (!text) return undefined;
  let ms = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const match = PART.exec(text);
    if (!match) return undefined;
    ms += Number(match[1]) * UNIT_MS[match[2]!]!;
  }
  return negative ? 0 : ms;
}
