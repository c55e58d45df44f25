/**
 * `npm run temporal:install` installs the pinned Temporal CLI into `.temporal/`;
 * `npm run temporal:start` runs a dev server in the foreground (Ctrl-C stops it), printing its address.
 */
import { findOrInstallTemporalCli, TemporalDevServer } from '../core/dev-server/temporal-dev-server.js';

const command = process.argv[2];
if (command === 'install') {
  console.log(await findOrInstallTemporalCli());
} else if (command === 'start') {
  const port = process.env.TEMPORAL_PORT ? Number(process.env.TEMPORAL_PORT) : undefined;
  const server = await TemporalDevServer.start({ port });
  console.log(`Temporal dev server on ${server.address}`);
  const stop = () => void server.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} else {
  console.error('usage: temporal-dev-server.mts install|start');
  process.exit(2);
}
