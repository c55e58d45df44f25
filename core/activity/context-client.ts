/**
 * `Context.current().client` for one activity, made only when an activity first reads it, so
 * that `@temporalio/client` (its module, its gRPC channel and its protobufjs services: ~60–80 ms
 * of main-thread CPU) stays off a worker's start-up and off every activity that never uses it.
 *
 * The official worker hands each Context a made client and runs the activity inside
 * `client.withAbortSignal(signal, …)`, so the client's calls end when the activity is cancelled.
 * Here, once the entity's client exists, an activity runs the same way. Before that, its Context
 * is a {@link LazyClientContext}, whose `client` makes the client on first read and ties the
 * caller's async context to the activity's signal from then on (`enterWith` on the client's
 * call-context storage, what `withAbortSignal` sets with `run`); the activity runs in an async
 * resource of its own, so that tie stays inside the activity.
 */
import { AsyncResource } from 'node:async_hooks';
import { Context } from '@temporalio/activity';
import type { Client, Connection } from '@temporalio/client';
import type { Logger } from '../logger.js';

/** Where activities' client comes from (an entity's {@link ActivityClient}). */
export interface ClientSource {
  /** The client if it was made already, else undefined. */
  peek(): Client | undefined;
  /** The client, made now if not yet; undefined once closed. Throws what making it threw. */
  getOrCreate(): Client | undefined;
}

/** What a {@link LazyClientContext} makes its client from. */
export interface LazyClient {
  readonly source: ClientSource;
  readonly signal: AbortSignal;
  readonly logger: Logger;
}

/** The official Context, but `client` is made from a {@link ClientSource} on first read. */
export class LazyClientContext extends Context {
  readonly #lazy: LazyClient;
  #client: Client | undefined;

  constructor(lazy: LazyClient, ...args: ConstructorParameters<typeof Context>) {
    super(...args);
    this.#lazy = lazy;
  }

  /** The entity's client, the same object on every read; throws as the official getter does without one. */
  override get client(): Client {
    const { source, signal, logger } = this.#lazy;
    try {
      this.#client ??= source.getOrCreate();
    } catch (error) {
      logger.warn('Could not create the client for Context.current().client', { error });
    }
    if (!this.#client) return super.client; // "No Client available", as without a client
    // A Connection (what ActivityClient makes) has the storage; another ConnectionLike may not.
    const storage = (this.#client.connection as Partial<Pick<Connection, 'callContextStorage'>>).callContextStorage;
    const store = storage?.getStore();
    if (storage && store?.abortSignal !== signal) storage.enterWith({ ...store, abortSignal: signal });
    return this.#client;
  }
}

/** Runs an activity whose Context is a {@link LazyClientContext}, in an async resource of its own. */
export function runInOwnResource(invoke: () => Promise<unknown>): Promise<unknown> {
  return new AsyncResource('TempoActivity').runInAsyncScope(invoke);
}
