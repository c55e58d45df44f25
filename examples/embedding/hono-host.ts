/**
 * Embedding in an existing Hono service: `app.route('/ops/temporal', createControlApi(runtime))`.
 *
 *   TEMPORAL_ADDRESS=127.0.0.1:7233 npx tsx examples/embedding/hono-host.ts
 */
import 'reflect-metadata';
import { pathToFileURL } from 'node:url';
import { Hono } from 'hono';
import { createControlApi } from '../../control-api/app.js';
import { generateApiToken } from '../../control-api/token.js';
import { Runtime } from '../../core/runtime/runtime.js';
import type { Logger } from '../../core/logger.js';

/** The host's app with the runtime's control API mounted under /ops/temporal. */
export async function createHonoHost(opts: { temporalAddress?: string; token?: string; taskQueue?: string; logger?: Logger } = {}): Promise<{ app: Hono; runtime: Runtime }> {
  const runtime = await Runtime.create({ ...(opts.temporalAddress ? { address: opts.temporalAddress } : {}) }, { logger: opts.logger });
  await runtime.addWorker({ taskQueue: opts.taskQueue ?? 'greetings', activities: { greet: async (name: string) => `Hello, ${name}!` } });
  const app = new Hono();
  app.get('/', (c) => c.text('the host service'));
  app.route('/ops/temporal', createControlApi(runtime, { token: opts.token, basePath: '/ops/temporal', allowedHosts: ['127.0.0.1', 'localhost', '::1'] }));
  return { app, runtime };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { serve } = await import('@hono/node-server');
  const token = process.env.TEMPO_API_TOKEN ?? generateApiToken();
  const { app, runtime } = await createHonoHost({ token, temporalAddress: process.env.TEMPORAL_ADDRESS });
  const server = serve({ fetch: app.fetch, port: 8080, hostname: '127.0.0.1' });
  console.log('Host on http://127.0.0.1:8080; control API on /ops/temporal/workers');
  if (!process.env.TEMPO_API_TOKEN) console.log(`Control API token (generated): ${token}`);
  process.once('SIGINT', () => server.close(() => void runtime.shutdown().then(() => process.exit(0))));
}
