import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Runtime } from '../core/runtime/runtime.js';
import type { ServedControlApi } from '../control-api/serve.js';

/** The Temporal CLI to show in examples: the project-local install when there is one. */
function temporalCli(): string {
  const local = path.resolve('.temporal/venv/bin/temporal');
  return existsSync(local) ? path.relative(process.cwd(), local) : 'temporal';
}

/** Where the control API's token came from: a generated one (with its file), the config, or TEMPO_API_TOKEN. */
export type TokenSource = { file: string; token: string } | 'config' | 'env';

/** The `-H` argument that sends the token, as a shell sees it. */
function authHeader(source: TokenSource): string {
  if (source === 'env') return `-H "Authorization: Bearer $TEMPO_API_TOKEN"`;
  if (source === 'config') return `-H "Authorization: Bearer <api.token of the config>"`;
  return `-H "Authorization: Bearer $(cat '${source.file.replace(/'/g, `'\\''`)}')"`;
}

/** Prints what is running and the commands to try next; a generated token is printed here, once. */
export function printHelp({ runtime, api, tokenSource }: { runtime: Runtime; api?: ServedControlApi; tokenSource?: TokenSource }): void {
  const address = runtime.options.address;
  const lines = [`Temporal: ${address} (namespace ${runtime.options.namespace})`];
  for (const w of runtime.list()) lines.push(`Worker "${w.id}": task queue "${w.taskQueue}", ${w.state}, activities [${w.activities.join(', ')}], workflows: ${w.workflowSide}`);
  const hello = runtime.list().find((w) => w.id === 'hello');
  if (hello) {
    lines.push('', 'Start a workflow:', `  ${temporalCli()} workflow execute --address ${address} --task-queue ${hello.taskQueue} --type hello --input '"World"'`);
  }
  if (api && tokenSource) {
    const auth = authHeader(tokenSource);
    const json = `-H 'content-type: application/json'`;
    lines.push('', `Control API: ${api.url}  (OpenAPI: ${api.url}/openapi.json, metrics: ${api.url}/metrics)`);
    if (typeof tokenSource === 'object') lines.push(`API token (generated; also in ${tokenSource.file}, readable only by you): ${tokenSource.token}`);
    lines.push(
      'Add a worker:',
      `  curl -s -X POST ${api.url}/workers ${auth} ${json} -d '{"taskQueue":"hello-2","activityPlugins":["hello"]}'`,
      'Drain it (in-flight work finishes within 10 s), then delete it:',
      `  curl -s -X POST ${api.url}/workers/<id>/drain ${auth} ${json} -d '{"graceMs":10000}'`,
      `  curl -s -X DELETE ${api.url}/workers/<id> ${auth}`,
      'List workers:',
      `  curl -s ${api.url}/workers`,
    );
  }
  lines.push('', 'Ctrl-C drains every worker and exits; a second Ctrl-C exits at once.');
  console.log(lines.join('\n'));
}
