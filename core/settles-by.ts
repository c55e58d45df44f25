/**
 * Whether `p` settles (either way) before `at`, a `performance.now()` value. For bounded waits in
 * a drain: the caller decides what to do with what is still running at its deadline.
 */
export async function settlesBy(p: Promise<unknown>, at: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((r) => (timer = setTimeout(() => r(false), Math.max(0, at - performance.now()))));
  const settled = await Promise.race([p.then(() => true as const, () => true as const), late]);
  clearTimeout(timer);
  return settled;
}
