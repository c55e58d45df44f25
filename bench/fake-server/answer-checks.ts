/**
 * What the fake server counts about the answers it gets: each task answered once, with what a
 * real server would accept for it. A benchmark with any mismatch fails.
 */
export interface Mismatch {
  kind: string;
  detail: string;
}

/** Answers checked so far, and those that were wrong. Keeps the first few details to print. */
export class AnswerChecks {
  accepted = 0;
  mismatches = 0;
  readonly examples: Mismatch[] = [];

  ok(): void {
    this.accepted++;
  }

  wrong(kind: string, detail: string): void {
    this.mismatches++;
    if (this.examples.length < 10) this.examples.push({ kind, detail });
  }
}

/** Structural equality of decoded JSON-like values. */
export function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
