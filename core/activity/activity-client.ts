/**
 * The `@temporalio/client` Client that activities reach as `Context.current().client`: one per
 * entity, on the entity's connection settings (address, namespace, TLS, API key, metadata) and
 * data converter, created when the first activity task starts (the package loads then, not
 * at start-up) and closed with the entity. Its connection is lazy: nothing is dialled until an
 * activity makes a call.
 */
import type { Client } from '@temporalio/client';
import type { LoadedDataConverter } from '@temporalio/common';
import type { ConnectionOptions } from '../connection/connection-options.js';

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

export class ActivityClient {
  readonly #options: ActivityClientOptions;
  #client?: Promise<Client>;
  #closed = false;

  constructor(options: ActivityClientOptions) {
    this.#options = options;
  }

  /** The entity's client, created on first call. Undefined once {@link close}d. */
  get(): Promise<Client> | undefined {
    if (this.#closed) return undefined;
    this.#client ??= (async () => {
      const { Client, Connection } = await import('@temporalio/client');
      const { connection: c, dataConverter, identity } = this.#options;
      // API key implies TLS, as for our own connection.
      const tls = c.apiKey !== undefined && c.tls === false ? true : clientTls(c.tls);
      const connection = Connection.lazy({ address: c.address, tls, apiKey: c.apiKey, metadata: { ...c.metadata }, connectTimeout: c.connectTimeoutMs });
      return new Client({ connection, namespace: c.namespace, dataConverter, identity });
    })();
    // A failed creation is retried by the next activity.
    this.#client.catch(() => (this.#client = undefined));
    return this.#client;
  }

  /** Closes the client's connection, if one was made. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    const client = await this.#client?.catch(() => undefined);
    await client?.connection.close();
  }
}
