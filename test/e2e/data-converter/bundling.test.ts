/**
 * Bundler options and prebuilt bundles through a worker entity, against the real server, beside
 * the official worker where both can run the same thing.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { defaultFailureConverter, type LoadedDataConverter } from '@temporalio/common';
import proto from '@temporalio/proto';
import { bundleWorkflowCode as officialBundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkerEntity } from '../../../core/worker/worker-entity.js';
import type { WorkerEntityInput } from '../../../core/worker/worker-entity-options.js';
import { WorkflowSandbox } from '../../../sandbox/workflow-sandbox.js';
import * as activities from '../../fixtures/data-converter/activities.js';
import { EncryptionCodec, ENCRYPTED } from '../../fixtures/data-converter/encryption-codec.js';
import { payloadConverter as protobufConverter } from '../../fixtures/workflows/bundler-parity/protobuf-converter.js';
import { officialBundle, startOfficialWorker } from '../../helpers/official-worker.js';
import { uniqueTaskQueue, useServer } from '../../helpers/temporal.js';
import { encodingOf, encodingsByEvent, payloadsIn } from './payloads.js';

const parity = path.resolve('test/fixtures/workflows/bundler-parity');
const server = useServer();
let sandbox: WorkflowSandbox;
let scratch: string;

beforeAll(async () => {
  sandbox = await WorkflowSandbox.create({ threads: 1 });
  scratch = await mkdtemp(path.join(tmpdir(), 'tempo-bundles-'));
});
afterAll(async () => {
  await sandbox?.close();
  await rm(scratch, { recursive: true, force: true });
});

async function withEntity<T>(input: Omit<WorkerEntityInput, 'taskQueue'>, fn: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = uniqueTaskQueue('bundling');
  const entity = new WorkerEntity({ taskQueue, ...input }, { connection: server.connection, sandbox });
  await entity.start();
  try {
    return await fn(taskQueue);
  } finally {
    await entity.close();
  }
}

describe('bundling on a worker entity', () => {
  it('bundlerOptions.ignoreModules: a workflow file importing fs, node:crypto and @temporalio/client runs', async () => {
    const workflowsPath = path.join(parity, 'ignored.ts');
    await expect(new WorkerEntity({ taskQueue: uniqueTaskQueue('refused'), workflowsPath }, { connection: server.connection, sandbox }).start()).rejects.toMatchObject({ code: 'WORKFLOW_BUNDLE_FORBIDDEN_IMPORT' });
    const result = await withEntity({ workflowsPath, bundlerOptions: { ignoreModules: ['fs', 'crypto', '@temporalio/client'] } }, (taskQueue) =>
      server.client.workflow.execute('usesIgnored', { taskQueue, workflowId: taskQueue, args: [false] }),
    );
    expect(result).toBe('imported, function');
  });

  it('workflowBundle: a bundle from the official bundleWorkflowCode, by codePath, with an encryption codec', async () => {
    const codec = EncryptionCodec.withRandomKey();
    const { code } = await officialBundleWorkflowCode({ workflowsPath: path.resolve('test/fixtures/data-converter/workflows.ts'), logger: new DefaultLogger('WARN') });
    const codePath = path.join(scratch, 'official-bundle.js');
    await writeFile(codePath, code);
    const client = new Client({ connection: server.client.connection, dataConverter: { payloadCodecs: [codec] } });
    const history = await withEntity({ workflowBundle: { codePath }, activities, dataConverter: { payloadCodecs: [codec] } }, async (taskQueue) => {
      const handle = await client.workflow.start('secretGreeting', { taskQueue, workflowId: taskQueue, args: ['Bob'] });
      await handle.signal('suffix', '?');
      expect(await handle.result()).toBe('Hello, Bob?');
      return handle.fetchHistory();
    });
    expect(new Set(encodingsByEvent(history).map((e) => e.split(':')[1]))).toEqual(new Set([ENCRYPTED]));
  });

  it('protobuf payloads (DefaultPayloadConverterWithProtobufs over @temporalio/proto) match the official worker', async () => {
    const payloadConverterPath = path.join(parity, 'protobuf-converter.ts');
    const workflowsPath = path.join(parity, 'echo-blob.ts');
    // The client takes a loaded converter too (its own loader cannot require a .ts file).
    const dataConverter: LoadedDataConverter = { payloadConverter: protobufConverter, failureConverter: defaultFailureConverter, payloadCodecs: [] };
    const client = new Client({ connection: server.client.connection, dataConverter });
    const blob = proto.temporal.api.common.v1.DataBlob.create({ data: new Uint8Array([0xde, 0xad, 0xbe, 0xef]) });
    const echo = async (taskQueue: string) => {
      const handle = await client.workflow.start('echoBlob', { taskQueue, workflowId: taskQueue, args: [blob] });
      const result = await handle.result();
      const payloads = payloadsIn(await handle.fetchHistory());
      return { result, payloads: payloads.map((p) => `${encodingOf(p)} ${new TextDecoder().decode(p.metadata?.messageType ?? new Uint8Array())}`) };
    };
    const ours = await withEntity({ workflowsPath, dataConverter: { payloadConverterPath } }, echo);
    const taskQueue = uniqueTaskQueue('official-protobuf');
    const official = await startOfficialWorker(taskQueue, { workflowBundle: await officialBundle(workflowsPath, [], { payloadConverterPath }) }, workflowsPath);
    const yardstick = await echo(taskQueue).finally(official.stop);
    expect(ours.result).toEqual(blob);
    expect(ours.payloads).toEqual(['json/protobuf temporal.api.common.v1.DataBlob', 'json/protobuf temporal.api.common.v1.DataBlob']);
    expect(yardstick).toEqual(ours);
  });
});
