/**
 * A library user who forgets the address gets a clear error at once, not a silently started
 * in-memory dev server; /readyz says whether the runtime runs on a dev server.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createControlApi } from '../../../control-api/app.js';
import { Runtime } from '../../../core/runtime/runtime.js';
import { silentLogger, testRuntime } from '../../helpers/runtime.js';
import { uniqueTaskQueue } from '../../helpers/temporal.js';

describe('dev server only when asked', () => {
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env.TEMPORAL_ADDRESS;
    delete process.env.TEMPORAL_ADDRESS;
  });
  afterEach(() => {
    if (saved !== undefined) process.env.TEMPORAL_ADDRESS = saved;
  });

  it('Runtime.create without an address, TEMPORAL_ADDRESS or devServer: ADDRESS_REQUIRED at once', async () => {
    const started = performance.now();
    await expect(Runtime.create({}, { logger: silentLogger })).rejects.toMatchObject({ code: 'ADDRESS_REQUIRED', message: expect.stringMatching(/pass address.*TEMPORAL_ADDRESS.*devServer: true/) });
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});

it('/readyz says devServer: false on a server the runtime did not start', async () => {
  const runtime = await testRuntime();
  try {
    await runtime.addWorker({ taskQueue: uniqueTaskQueue('readyz'), activities: { a: async () => 1 } });
    const res = await createControlApi(runtime).request('/readyz');
    expect(await res.json()).toMatchObject({ ready: true, devServer: false });
  } finally {
    await runtime.shutdown({ graceMs: 0 });
  }
});
