import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@temporalio/client';
import { Connection } from '../../../core/connection/connection.js';
import { WorkerEntity } from '../../../core/worker/worker-entity.js';
import { fixtureWorkflowsPath } from '../../helpers/official-worker.js';
import { officialClient, temporalAddress, uniqueTaskQueue } from '../../helpers/temporal.js';
import { startTlsProxy, testCertificates } from '../../helpers/tls-proxy.js';
import { scenarioActivities } from '../../fixtures/workflows/scenario-activities.js';

// The dev server speaks plaintext only, so a TLS-terminating HTTP/2 proxy on loopback stands in
// for a TLS cluster (self-hosted with a private CA, mTLS, or Cloud with an API key).
let certs: Awaited<ReturnType<typeof testCertificates>>;
let client: Client;
let closeClient: () => Promise<void>;
beforeAll(async () => {
  certs = await testCertificates();
  ({ client, close: closeClient } = await officialClient());
});
afterAll(() => closeClient?.());

describe('TLS, mTLS and API keys', () => {
  it('TLS with a private CA: a worker entity runs a workflow through it', async () => {
    const proxy = await startTlsProxy({ upstream: temporalAddress(), cert: certs.serverCert, key: certs.serverKey });
    const connection = await Connection.connect({ address: proxy.address, tls: { serverRootCACertificate: certs.ca } });
    const taskQueue = uniqueTaskQueue('tls');
    const entity = new WorkerEntity({ taskQueue, workflowsPath: fixtureWorkflowsPath, activities: scenarioActivities }, { connection });
    try {
      await entity.start();
      expect(await client.workflow.execute('hello', { taskQueue, workflowId: taskQueue, args: ['TLS'] })).toBe('Hello, TLS!');
      // Without the CA the server's certificate is refused.
      await expect(Connection.connect({ address: proxy.address, tls: true, connectTimeoutMs: 2_000 })).rejects.toMatchObject({ code: 'CONNECTION_UNREACHABLE' });
    } finally {
      await entity.close();
      await connection.close();
      await proxy.close();
    }
  });

  it('mTLS: refused without a client certificate, accepted with one', async () => {
    const proxy = await startTlsProxy({ upstream: temporalAddress(), cert: certs.serverCert, key: certs.serverKey, ca: certs.ca, requireClientCert: true });
    try {
      await expect(Connection.connect({ address: proxy.address, tls: { serverRootCACertificate: certs.ca }, connectTimeoutMs: 2_000 })).rejects.toMatchObject({ code: 'CONNECTION_UNREACHABLE' });
      const connection = await Connection.connect({
        address: proxy.address,
        tls: { serverRootCACertificate: certs.ca, clientCertPair: { crt: certs.clientCert, key: certs.clientKey } },
      });
      expect(connection.systemInfo?.serverVersion).toBeTruthy();
      await connection.close();
    } finally {
      await proxy.close();
    }
  });

  it('API key: sent as a bearer token on every call; a wrong key is refused', async () => {
    const proxy = await startTlsProxy({ upstream: temporalAddress(), cert: certs.serverCert, key: certs.serverKey, apiKey: 'secret-key' });
    try {
      const connection = await Connection.connect({ address: proxy.address, apiKey: 'secret-key', tls: { serverRootCACertificate: certs.ca } });
      await connection.call('describeNamespace', { namespace: 'default' });
      expect(proxy.seenAuthorization.length).toBeGreaterThanOrEqual(3);
      expect(new Set(proxy.seenAuthorization)).toEqual(new Set(['Bearer secret-key']));
      await connection.close();
      await expect(Connection.connect({ address: proxy.address, apiKey: 'wrong', tls: { serverRootCACertificate: certs.ca } })).rejects.toMatchObject({
        code: 'CONNECTION_UNREACHABLE',
        message: expect.stringContaining('UNAUTHENTICATED'),
      });
    } finally {
      await proxy.close();
    }
  });
});
