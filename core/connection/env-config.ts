import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { ConnectionInput } from './connection-options.js';

/** Where {@link connectionFromEnvConfig} reads from; the same sources as the Temporal CLI. */
export interface EnvConfigSource {
  /** Profile name. @default `TEMPORAL_PROFILE`, else 'default' */
  profile?: string;
  /** A TOML config file. @default `TEMPORAL_CONFIG_FILE`, else the CLI's per-user `temporal.toml` */
  configFile?: string;
  /** Environment to read (`TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`, `TEMPORAL_TLS*`, …). @default process.env */
  env?: Record<string, string | undefined>;
}

/**
 * Connection settings from `@temporalio/envconfig`: a profile of the TOML file the Temporal CLI
 * reads, overridden by the `TEMPORAL_*` environment variables, as every Temporal SDK resolves
 * them. Only the fields the sources set are returned, so explicit options can still win.
 */
export function connectionFromEnvConfig(source: EnvConfigSource = {}): ConnectionInput {
  const env = Object.fromEntries(Object.entries(source.env ?? process.env).filter((e): e is [string, string] => e[1] !== undefined));
  const { connectionOptions: c, namespace } = loadClientConnectConfig({
    profile: source.profile,
    configSource: source.configFile ? { path: source.configFile } : undefined,
    overrideEnvVars: env,
  });
  const out: ConnectionInput = {};
  if (c.address) out.address = c.address.replace(/^localhost:/, '127.0.0.1:');
  if (namespace) out.namespace = namespace;
  if (c.apiKey && typeof c.apiKey === 'string') out.apiKey = c.apiKey;
  if (c.tls === true) out.tls = true;
  else if (c.tls) {
    const { serverNameOverride, serverRootCACertificate: ca, clientCertPair: pair } = c.tls;
    out.tls = {
      ...(serverNameOverride ? { serverNameOverride } : {}),
      ...(ca ? { serverRootCACertificate: Buffer.from(ca) } : {}),
      ...(pair ? { clientCertPair: { crt: Buffer.from(pair.crt), key: Buffer.from(pair.key) } } : {}),
    };
  }
  if (c.metadata && Object.keys(c.metadata).length) out.metadata = Object.fromEntries(Object.entries(c.metadata).map(([k, v]) => [k, String(v)]));
  return out;
}
