/**
 * What one run of a feature on one worker gave, and the summary table over all of them.
 */

/**
 * `ours`: our WorkerEntity, given the feature's options by this runner; `dropin`: the harness
 * unchanged, with `@temporalio/worker` replaced by our drop-in facade (compat/).
 */
export type WorkerKind = 'official' | 'ours' | 'dropin';

/** `not-run`: the runner did not run it, and `error` says why (not a failure of the worker). */
export type Outcome = 'pass' | 'fail' | 'not-run';

export interface FeatureRunResult {
  readonly feature: string;
  readonly variant?: string;
  readonly worker: WorkerKind;
  readonly outcome: Outcome;
  /** The failure (or the reason it was not run): message, with causes joined by ` <- `. */
  readonly error?: string;
  /** The stack of the error, when it had one. */
  readonly stack?: string;
  readonly durationMs: number;
  /** Distinct workflow-task failures in the histories of the run's task queue (failed runs only). */
  readonly workflowTaskFailures?: readonly string[];
  /** What the runner observed besides the outcome, e.g. how long each shutdown took. */
  readonly notes?: readonly string[];
  /** Official worker options of the feature that our runtime was not given (ours only). */
  readonly notPassed?: readonly string[];
  /** Where the run's output went. */
  readonly log?: string;
}

/** One line per feature (and variant): each worker's outcome. */
export interface SummaryRow {
  readonly name: string;
  readonly byWorker: Partial<Record<WorkerKind, FeatureRunResult>>;
}

export interface Counts {
  readonly total: number;
  readonly pass: number;
  readonly fail: number;
  readonly notRun: number;
}

export function rowName(result: Pick<FeatureRunResult, 'feature' | 'variant'>): string {
  return result.variant ? `${result.feature} [${result.variant}]` : result.feature;
}

export function summarize(results: readonly FeatureRunResult[]): SummaryRow[] {
  const rows = new Map<string, { name: string; byWorker: Partial<Record<WorkerKind, FeatureRunResult>> }>();
  for (const r of results) {
    const name = rowName(r);
    const row = rows.get(name) ?? { name, byWorker: {} };
    row.byWorker[r.worker] = r;
    rows.set(name, row);
  }
  return [...rows.values()].sort((a, b) => a.name.localeCompare(b.name));
}

export function countsFor(results: readonly FeatureRunResult[], worker: WorkerKind): Counts {
  const mine = results.filter((r) => r.worker === worker);
  return {
    total: mine.length,
    pass: mine.filter((r) => r.outcome === 'pass').length,
    fail: mine.filter((r) => r.outcome === 'fail').length,
    notRun: mine.filter((r) => r.outcome === 'not-run').length,
  };
}

/**
 * The first line of an error, without ids that differ between runs, so equal causes group
 * together; for our bundler's forbidden-import error, with the modules it names (on later lines).
 */
export function causeOf(error: string): string {
  const modules = [...new Set([...error.matchAll(/^\s+- '([^']+)' imported by/gm)].map((m) => m[1]))].sort();
  const first = error.split('\n')[0] + (modules.length ? ` ${modules.map((m) => `'${m}'`).join(', ')}` : '');
  return first
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<id>')
    .replace(/features-[\w/.-]+-<id>/g, '<task-queue>')
    .slice(0, 300);
}

/** Failures of one worker grouped by cause, most frequent first. */
export function failuresByCause(results: readonly FeatureRunResult[], worker: WorkerKind): { cause: string; features: string[] }[] {
  const groups = new Map<string, string[]>();
  for (const r of results) {
    if (r.worker !== worker || r.outcome !== 'fail') continue;
    // A workflow task failure says more than the client's error (often a timeout a minute later).
    const cause = causeOf(r.workflowTaskFailures?.[0] ?? r.error ?? 'no error recorded');
    groups.set(cause, [...(groups.get(cause) ?? []), rowName(r)]);
  }
  return [...groups.entries()].map(([cause, features]) => ({ cause, features })).sort((a, b) => b.features.length - a.features.length || a.cause.localeCompare(b.cause));
}

const MARK: Record<Outcome, string> = { pass: 'pass', fail: 'FAIL', 'not-run': '-' };

function clip(text: string, width: number): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length <= width ? one : `${one.slice(0, width - 1).trimEnd()}…`;
}

/** A plain-text table: feature, each worker's outcome, and the reason for each failure. */
export function formatTable(rows: readonly SummaryRow[], workers: readonly WorkerKind[], reasonWidth = 110): string {
  const nameWidth = Math.max('feature'.length, ...rows.map((r) => r.name.length));
  const head = ['feature'.padEnd(nameWidth), ...workers.map((w) => w.padEnd(8)), 'reason'].join('  ');
  const lines = [head, '-'.repeat(head.length + 20)];
  for (const row of rows) {
    const marks = workers.map((w) => (row.byWorker[w] ? MARK[row.byWorker[w].outcome] : '').padEnd(8));
    const reasons = workers
      .map((w) => row.byWorker[w])
      .filter((r): r is FeatureRunResult => r !== undefined && r.outcome !== 'pass' && r.error !== undefined)
      .map((r) => `${r.worker}: ${clip(causeOf(r.error ?? '') + (r.workflowTaskFailures?.length ? ` [task: ${r.workflowTaskFailures[0]}]` : ''), reasonWidth)}`);
    lines.push([row.name.padEnd(nameWidth), ...marks, reasons.join(' | ')].join('  ').trimEnd());
  }
  return lines.join('\n');
}

/** One-line totals per worker, e.g. `official: 34/39 pass, 4 fail, 1 not run`. */
export function formatCounts(results: readonly FeatureRunResult[], workers: readonly WorkerKind[]): string {
  return workers
    .map((w) => {
      const c = countsFor(results, w);
      return `${w}: ${c.pass}/${c.total} pass, ${c.fail} fail, ${c.notRun} not run`;
    })
    .join('\n');
}
