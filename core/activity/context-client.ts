/**
 * `Context.current().client` for one activity, made only when an activity first reads it, so
 * that `@temporalio/client` (its module, its gRPC channel and its protobufjs services: ~60–80 ms
 * of main-thread CPU) stays off a worker's start-up and off every activity that never uses it.
 *
 * The official worker hands each Context a made client and runs the activity inside
 * `client.withAbortSignal(signal, …)`, so the client's calls end when the activity is cancelled.
 * Here, once the entity's client exists, an activity runs the same way. Before that, the Context
 * gets a getter that makes the client on first read and ties the caller's async context to the
 * activity's signal from then on (`enterWith` on the client's call-context storage, what
 * `withAbortSignal` sets with `run`); the activity runs in its own async resource, so that tie
 * stays inside the activity.
 */
import { AsyncResource } from 'node:async_hooks';
import type { Context } from '@temporalio/activity';
import type { Client, Connection } from '@temporalio/client';
import type { Logger } from '../logger.js';

/** Where activities' client comes from (an entity's {@link ActivityClient}). */
export interface ClientSource {
  /** The client if it was made already, else undefined. */
  peek(): Client | undefined;
  /** The client, made now if not yet; undefined once closed. Throws what making it threw. */
  getOrCreate(): Client | undefined;
}

/**
 * Runs `invoke` (inside `context`'s AsyncLocalStorage scope already) with `context.client` made
 * from `source` on first read, the client's calls tied to `signal`. For a client not made yet:
 * one that exists is given to the Context and `withAbortSignal` directly.
 */
export function runWithClient(context: Context, source: ClientSource | undefined, signal: AbortSignal, logger: Logger, invoke: () => Promise<unknown>): Promise<unknown> {
  if (!source) return invoke();
  let client: Client | undefined;
  const read = (): Client | undefined => {
    try {
      client ??= source.getOrCreate();
    } catch (error) {
      // The getter of `Context.client` then throws "No Client available", as without a client.
      logger.warn('Could not create the client for Context.current().client', { error });
      return undefined;
    }
    // A Connection (what ActivityClient makes) has the storage; another ConnectionLike may not.
    const storage = (client?.connection as Partial<Pick<Connection, 'callContextStorage'>> | undefined)?.callContextStorage;
    const store = storage?.getStore();
    if (storage && store?.abortSignal !== signal) storage.enterWith({ ...store, abortSignal: signal });
    return client;
  };
  // `Context.client` reads the constructor's `_client` field; the same object on every read.
  Object.defineProperty(context, '_client', { get: read, configurable: true, enumerable: true });
  return new AsyncResource('TempoActivity').runInAsyncScope(invoke);
}
