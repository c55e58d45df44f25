/**
 * The `@temporalio/client` Client that activities reach as `Context.current().client`: one per
 * entity, on the entity's connection settings (address, namespace, TLS, API key, metadata) and
 * data converter, made when an activity (or Nexus handler) first reads it — the package loads
 * then, not at start-up (context-client.ts) — and closed with the entity. Its connection is
 * lazy: nothing is dialled until a call is made.
 */
import { createRequire } from 'node:module';
import type { Client } from '@temporalio/client';
import type { LoadedDataConverter } from '@temporalio/common';
import type { ConnectionOptions } from '../connection/connection-options.js';
import type { ClientSource } from './context-client.js';

export interface ActivityClientOptions {
  readonly connection: ConnectionOptions;
  readonly dataConverter: LoadedDataConverter;
  readonly identity: string;
}

const buffer = (pem: Buffer | string): Buffer => (typeof pem === 'string' ? Buffer.from(pem) : pem);

/** The client's TLS settings for ours: the same fields, PEM text as buffers. */
function clientTls(tls: ConnectionOptions['tls']) {
  if (typeof tls === 'boolean') return tls;
  return {
    serverRootCACertificate: tls.serverRootCACertificate === undefined ? undefined : buffer(tls.serverRootCACertificate),
    clientCertPair: tls.clientCertPair && { crt: buffer(tls.clientCertPair.crt), key: buffer(tls.clientCertPair.key) },
    serverNameOverride: tls.serverNameOverride,
  };
}

// `Context.client` is a synchronous getter, so the package loads with `require` (it is CommonJS;
// the module instance is the one an `import` of it gets).
const requireClient = (): typeof import('@temporalio/client') => createRequire(import.meta.url)('@temporalio/client');

export class ActivityClient implements ClientSource {
  readonly #options: ActivityClientOptions;
  #client?: Client;
  #closed = false;

  constructor(options: ActivityClientOptions) {
    this.#options = options;
  }

  peek(): Client | undefined {
    return this.#closed ? undefined : this.#client;
  }

  /** The entity's client, made on first call (a failure is thrown, and retried by the next call). Undefined once {@link close}d. */
  getOrCreate(): Client | undefined {
    if (this.#closed) return undefined;
    if (this.#client) return this.#client;
    const { Client, Connection } = requireClient();
    const { connection: c, dataConverter, identity } = this.#options;
    // API key implies TLS, as for our own connection.
    const tls = c.apiKey !== undefined && c.tls === false ? true : clientTls(c.tls);
    const connection = Connection.lazy({ address: c.address, tls, apiKey: c.apiKey, metadata: { ...c.metadata }, connectTimeout: c.connectTimeoutMs });
    return (this.#client = new Client({ connection, namespace: c.namespace, dataConverter, identity }));
  }

  /** {@link getOrCreate} as a promise, rejected if making the client failed. */
  get(): Promise<Client> | undefined {
    try {
      const client = this.getOrCreate();
      return client && Promise.resolve(client);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Closes the client's connection, if one was made. Idempotent. */
  async close(): Promise<void> {
    const client = this.#client;
    this.#closed = true;
    this.#client = undefined;
    await client?.connection.close();
  }
}
