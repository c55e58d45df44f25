import { Client, Connection as ClientConnection } from '@temporalio/client';
import { TemporalDevServer } from '../core/dev-server/temporal-dev-server.js';

/** The server every benchmark in a run shares: TEMPORAL_ADDRESS, or a dev server we start. */
export async function benchServer(): Promise<{ address: string; stop: () => Promise<void> }> {
  if (process.env.TEMPORAL_ADDRESS) return { address: process.env.TEMPORAL_ADDRESS, stop: async () => undefined };
  const server = await TemporalDevServer.start();
  return { address: server.address, stop: () => server.stop() };
}

export async function benchClient(address: string): Promise<{ client: Client; close: () => Promise<void> }> {
  const connection = await ClientConnection.connect({ address });
  return { client: new Client({ connection, namespace: 'default' }), close: () => connection.close() };
}

/** Prints a table of rows and a JSON line for machines. */
export function report(title: string, rows: Record<string, string | number>[]): void {
  console.log(`\n## ${title}`);
  console.table(rows);
  console.log(JSON.stringify({ title, rows }));
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
