/** One line per error for the report: `Name: message`, then each cause after ` <- `. */
export function describeError(err: unknown, depth = 0): string {
  if (!(err instanceof Error)) return typeof err === 'string' ? err : `non-error thrown: ${JSON.stringify(err) ?? String(err)}`;
  const head = err.name && err.name !== 'Error' ? `${err.name}: ${err.message}` : err.message;
  const causes = err.cause !== undefined && depth < 5 ? ` <- ${describeError(err.cause, depth + 1)}` : '';
  const inner = err instanceof AggregateError ? ` [${err.errors.map((e) => describeError(e, depth + 1)).join('; ')}]` : '';
  return `${head}${inner}${causes}`;
}
