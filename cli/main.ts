#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { Connection } from '../core/connection/connection.js';
import { TemporalDevServer } from '../core/dev-server/temporal-dev-server.js';
import { WorkerEntity } from '../core/worker/worker-entity.js';
import * as helloActivities from '../examples/hello/activities.js';

const USAGE = `Usage: tempo-worker start [--address host:port] [--namespace ns] [--task-queue q]

  start   Runs a worker entity for the example activities. Without --address or
          TEMPORAL_ADDRESS, it installs and starts a local Temporal dev server first.`;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      address: { type: 'string' },
      namespace: { type: 'string', default: 'default' },
      'task-queue': { type: 'string', default: 'hello' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || positionals[0] !== 'start') {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  let devServer: TemporalDevServer | undefined;
  let address = values.address ?? process.env.TEMPORAL_ADDRESS;
  if (!address) {
    console.log('TEMPORAL_ADDRESS is unset: starting a local Temporal dev server…');
    devServer = await TemporalDevServer.start();
    address = devServer.address;
  }
  const connection = await Connection.connect({ address, namespace: values.namespace });
  const entity = new WorkerEntity({ taskQueue: values['task-queue']!, activities: { ...helloActivities } }, { connection });
  entity.start();
  console.log(`Worker entity polling task queue "${entity.taskQueue}" on ${address} (namespace ${entity.namespace}).`);
  console.log(`Start a workflow: temporal workflow start --address ${address} --task-queue ${entity.taskQueue} --type hello --input '"World"'`);

  let stopping = false;
  await new Promise<void>((resolve) => {
    const onSignal = (sig: string) => {
      if (stopping) {
        console.error(`Second ${sig}: exiting now.`);
        process.exit(1);
      }
      stopping = true;
      console.log(`${sig}: draining…`);
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  await entity.close();
  await connection.close();
  await devServer?.stop();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? `${(err as { code?: string }).code ?? err.name}: ${err.message}` : err);
    process.exit(1);
  },
);
