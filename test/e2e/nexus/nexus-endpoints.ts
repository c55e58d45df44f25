/**
 * Nexus endpoints on the real server for one test file: each routes to a task queue of this
 * namespace, created through the operator service before the tests and deleted after them.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';

export interface Endpoint {
  name: string;
  id: string;
  version: NonNullable<Parameters<Client['connection']['operatorService']['deleteNexusEndpoint']>[0]['version']>;
}

/** Endpoint names allow letters, digits, `-` and `_` only, starting with a letter. */
export function uniqueEndpointName(prefix: string): string {
  return `${prefix}-${randomUUID()}`;
}

export async function createEndpoint(client: Client, name: string, taskQueue: string): Promise<Endpoint> {
  const { endpoint } = await client.connection.operatorService.createNexusEndpoint({
    spec: { name, target: { worker: { namespace: client.options.namespace, taskQueue } } },
  });
  return { name, id: endpoint!.id!, version: endpoint!.version! };
}

export async function deleteEndpoint(client: Client, endpoint: Endpoint): Promise<void> {
  await client.connection.operatorService.deleteNexusEndpoint({ id: endpoint.id, version: endpoint.version });
}
