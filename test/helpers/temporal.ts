import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, inject } from 'vitest';
import { Client, Connection as ClientConnection } from '@temporalio/client';
import { Connection } from '../../core/connection/connection.js';

/** The address of this run's real Temporal server. */
export function temporalAddress(): string {
  return inject('temporalAddress');
}

/** A task queue name no other test uses. */
export function uniqueTaskQueue(prefix = 'tq'): string {
  return `${prefix}-${randomUUID()}`;
}

/** The official client, as a user of the SDK would drive workflows. */
export async function officialClient(): Promise<{ client: Client; close: () => Promise<void> }> {
  const connection = await ClientConnection.connect({ address: temporalAddress() });
  return { client: new Client({ connection, namespace: 'default' }), close: () => connection.close() };
}

/** Our own connection to the same server. */
export function ourConnection(): Promise<Connection> {
  return Connection.connect({ address: temporalAddress(), namespace: 'default' });
}

/** Polls `predicate` every 20 ms until it holds or `timeoutMs` passes. */
export async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * The official client and our own connection for one test file, opened before its tests and
 * closed after them. Read them as `server.client` / `server.connection` inside tests.
 */
export function useServer(): { readonly client: Client; readonly connection: Connection } {
  const ctx = {} as { client: Client; connection: Connection; close?: () => Promise<void> };
  beforeAll(async () => {
    const official = await officialClient();
    ctx.client = official.client;
    ctx.close = official.close;
    ctx.connection = await ourConnection();
  });
  afterAll(async () => {
    await ctx.close?.();
    await ctx.connection?.close();
  });
  return ctx;
}
