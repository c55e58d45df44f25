import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionFromEnvConfig } from '../../../core/connection/env-config.js';

describe('connectionFromEnvConfig (the Temporal CLI config file and TEMPORAL_* variables)', () => {
  let dir = '';
  let file = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'envconfig-'));
    file = path.join(dir, 'temporal.toml');
    await writeFile(path.join(dir, 'ca.pem'), 'CA PEM');
    await writeFile(
      file,
      [
        '[profile.default]',
        'address = "localhost:7233"',
        'namespace = "dev"',
        '',
        '[profile.cloud]',
        'address = "my-ns.a1b2c.tmprl.cloud:7233"',
        'namespace = "my-ns.a1b2c"',
        'api_key = "secret-key"',
        '[profile.cloud.tls]',
        `server_ca_cert_path = "${path.join(dir, 'ca.pem')}"`,
        'server_name = "my-ns.a1b2c.tmprl.cloud"',
        '[profile.cloud.grpc_meta]',
        'x-team = "payments"',
      ].join('\n'),
    );
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads the default profile', () => {
    expect(connectionFromEnvConfig({ configFile: file, env: {} })).toEqual({ address: '127.0.0.1:7233', namespace: 'dev' });
  });

  it('reads a named profile with an API key, TLS and gRPC metadata', () => {
    const c = connectionFromEnvConfig({ configFile: file, profile: 'cloud', env: {} });
    expect(c).toMatchObject({ address: 'my-ns.a1b2c.tmprl.cloud:7233', namespace: 'my-ns.a1b2c', apiKey: 'secret-key', metadata: { 'x-team': 'payments' } });
    expect(c.tls).toMatchObject({ serverNameOverride: 'my-ns.a1b2c.tmprl.cloud' });
    expect(String((c.tls as { serverRootCACertificate: Buffer }).serverRootCACertificate)).toBe('CA PEM');
  });

  it('lets TEMPORAL_* variables override the file, and TEMPORAL_PROFILE pick the profile', () => {
    const c = connectionFromEnvConfig({ configFile: file, env: { TEMPORAL_PROFILE: 'cloud', TEMPORAL_ADDRESS: 'other:7233', TEMPORAL_NAMESPACE: 'ns2' } });
    expect(c).toMatchObject({ address: 'other:7233', namespace: 'ns2', apiKey: 'secret-key' });
  });

  it('returns nothing when no source sets anything', () => {
    expect(connectionFromEnvConfig({ configFile: path.join(dir, 'missing.toml'), env: {} })).toEqual({});
  });
});
