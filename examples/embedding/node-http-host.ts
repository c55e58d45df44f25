/**
 * Embedding in an existing plain `node:http` service: the service keeps its own routes and mounts
 * the control API under /temporal; the runtime shares the service's database client through DI.
 *
 *   TEMPORAL_ADDRESS=127.0.0.1:7233 npx tsx examples/embedding/node-http-host.ts
 */
import 'reflect-metadata';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { createControlApi } from '../../control-api/app.js';
import { generateApiToken } from '../../control-api/token.js';
import { Runtime } from '../../core/runtime/runtime.js';
import type { Logger } from '../../core/logger.js';
import { defineActivityPlugin } from '../../plugins/contracts.js';
import { inject, injectable, type InjectionToken } from '../../plugins/di.js';
import { activitiesOf } from '../../plugins/registry.js';

/** The host's own database client (a map here). */
export interface OrdersDb {
  status(orderId: string): string;
}
export const OrdersDbToken: InjectionToken<OrdersDb> = Symbol.for('examples.embedding.OrdersDb');

@injectable()
class OrderActivities {
  constructor(@inject(OrdersDbToken) private readonly db: OrdersDb) {}

  async orderStatus(orderId: string): Promise<string> {
    return this.db.status(orderId);
  }
}

const ordersPlugin = defineActivityPlugin({ name: 'orders', activityClass: OrderActivities });

const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '::1'];

export interface HostOptions {
  temporalAddress?: string;
  port?: number;
  token?: string;
  taskQueue?: string;
  logger?: Logger;
}

/** Starts the host service with its runtime; `close()` stops both, draining the workers. */
export async function startNodeHttpHost(opts: HostOptions = {}): Promise<{ url: string; runtime: Runtime; close(): Promise<void> }> {
  const runtime = await Runtime.create({ ...(opts.temporalAddress ? { address: opts.temporalAddress } : {}), plugins: [{ module: 'builtin:prometheus' }] }, { logger: opts.logger });
  const db: OrdersDb = { status: (id) => (id === 'o-1' ? 'shipped' : 'unknown') };
  runtime.container.register(OrdersDbToken, { useValue: db });
  await runtime.registerPlugin(ordersPlugin);
  await runtime.addWorker({ taskQueue: opts.taskQueue ?? 'orders', activityPlugins: ['orders'] });

  // The service listens on loopback only: refuse other Host names (DNS rebinding) and keep the token.
  const control = new Hono().route('/temporal', createControlApi(runtime, { token: opts.token, basePath: '/temporal', allowedHosts: LOOPBACK_HOSTS }));
  const controlListener = getRequestListener(control.fetch);
  const server: Server = createServer((req, res) => {
    if (req.url?.startsWith('/temporal/')) return void controlListener(req, res);
    // The service's own routes.
    if (req.url === '/orders/o-1') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'o-1', status: db.status('o-1') }));
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(opts.port ?? 0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    runtime,
    async close() {
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
      await runtime.shutdown();
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const token = process.env.TEMPO_API_TOKEN ?? generateApiToken();
  const host = await startNodeHttpHost({ port: 8080, token, temporalAddress: process.env.TEMPORAL_ADDRESS });
  console.log(`Service on ${host.url}; control API on ${host.url}/temporal/workers`);
  if (!process.env.TEMPO_API_TOKEN) console.log(`Control API token (generated): ${token}`);
  process.once('SIGINT', () => void host.close().then(() => process.exit(0)));
}
