import { createHash } from 'node:crypto';

/**
 * This package's name and version, as the official worker names `@temporalio/worker` in its
 * default build id. A constant rather than a read of package.json, whose place differs between
 * the source tree and the built package; a unit test keeps the two equal.
 */
export const RUNTIME_PACKAGE = { name: 'tempo-worker-runtime', version: '0.1.0' } as const;

/**
 * The build id of a worker given none, in the official worker's shape: package and version, plus
 * `+` and the SHA-256 of the workflow bundle's code when the worker has workflows, so that
 * different workflow code gets a different id.
 */
export function defaultBuildId(bundleCode?: string): string {
  const base = `${RUNTIME_PACKAGE.name}@${RUNTIME_PACKAGE.version}`;
  return bundleCode === undefined ? base : `${base}+${createHash('sha256').update(bundleCode).digest('hex')}`;
}
