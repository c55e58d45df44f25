import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RuntimeErrorCode } from '../../../core/runtime/errors.js';
import { errorResponse } from '../../../control-api/errors.js';
import { RuntimeError } from '../../../core/errors.js';

const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
const API_CODES = ['UNAUTHORIZED', 'FORBIDDEN', 'NOT_FOUND', 'BODY_TOO_LARGE', 'NO_METRICS', 'INTERNAL', 'CONFIG_INVALID', 'ILLEGAL_STATE', 'HOST_NOT_ALLOWED', 'ORIGIN_NOT_ALLOWED', 'UNSUPPORTED_MEDIA_TYPE'];

/** Every literal code of the workflow layer, the sandbox and the replayer, read from their sources. */
function literalCodes(): string[] {
  const files = ['core/workflow/errors.ts', 'sandbox/errors.ts', 'core/replay/errors.ts'];
  const codes = files.flatMap((f) => [...readFileSync(new URL(`../../../${f}`, import.meta.url), 'utf8').matchAll(/'((?:WORKFLOW|REPLAY)_[A-Z_]+)'/g)].map((m) => m[1]!));
  return [...new Set(codes)];
}

/** Every code passed as the first argument of a `super(...)` or `new …Error(...)` in the product's sources. */
function codesInSources(): string[] {
  const roots = ['core', 'sandbox', 'plugins', 'control-api', 'compat', 'cli'];
  const files = roots.flatMap((r) =>
    (readdirSync(new URL(`../../../${r}`, import.meta.url), { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => `${r}/${f}`),
  );
  const found = files.flatMap((f) =>
    [...readFileSync(new URL(`../../../${f}`, import.meta.url), 'utf8').matchAll(/(?:super|new \w+Error)\(\s*'([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)'/g)].map((m) => m[1]!),
  );
  return [...new Set(found)];
}

describe('error codes', () => {
  it('finds the codes thrown anywhere in the product', () => {
    expect(codesInSources()).toContain('WORKER_OPTION_UNSUPPORTED');
  });

  it.each(codesInSources())('%s (thrown in the product) is documented in docs/errors.md', (code) => {
    expect(doc).toContain(`\`${code}\``);
  });

  it('finds the literal codes it checks', () => {
    expect(literalCodes()).toContain('WORKFLOW_NONDETERMINISM');
  });

  it.each(literalCodes())('%s (workflow, sandbox, replay) is documented in docs/errors.md', (code) => {
    expect(doc).toContain(`\`${code}\``);
  });

  it.each([...Object.values(RuntimeErrorCode), ...API_CODES])('%s is documented in docs/errors.md', (code) => {
    expect(doc).toContain(`\`${code}\``);
  });

  it('bad-input codes are 4xx, never 5xx', () => {
    for (const code of ['CONFIG_INVALID', 'PLUGIN_NOT_FOUND', 'PLUGIN_LOAD_FAILED', 'PLUGIN_INVALID', 'PLUGIN_OPTIONS_INVALID', 'PLUGIN_SETUP_FAILED', 'NAMESPACE_NOT_FOUND']) {
      expect(errorResponse(new RuntimeError(code, 'x')).status).toBe(400);
    }
    expect(errorResponse(new RuntimeError('WORKER_NOT_FOUND', 'x')).status).toBe(404);
    expect(errorResponse(new RuntimeError('WORKER_CONFLICT', 'x')).status).toBe(409);
  });

  it('an unexpected error is a 500 that leaks nothing', () => {
    expect(errorResponse(new TypeError('secret internals'))).toEqual({ status: 500, body: { error: { code: 'INTERNAL', message: 'Internal error; see the runtime log.' } } });
  });
});
