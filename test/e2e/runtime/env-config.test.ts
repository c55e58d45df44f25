/**
 * Connection settings the ecosystem's way: a Temporal CLI config profile (TOML) and TEMPORAL_*
 * variables, read by the runtime through @temporalio/envconfig, explicit options winning.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Runtime } from '../../../core/runtime/runtime.js';
import { silentLogger } from '../../helpers/runtime.js';
import { temporalAddress } from '../../helpers/temporal.js';

const VARS = ['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'TEMPORAL_PROFILE', 'TEMPORAL_CONFIG_FILE'] as const;
const saved = Object.fromEntries(VARS.map((v) => [v, process.env[v]]));

async function profileFile(): Promise<{ file: string; dir: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tempo-envconfig-'));
  const file = path.join(dir, 'temporal.toml');
  await writeFile(file, ['[profile.default]', 'address = "127.0.0.1:1"', '', '[profile.ci]', `address = "${temporalAddress()}"`, 'namespace = "default"'].join('\n'));
  return { file, dir };
}

describe('Runtime connection settings from envconfig', () => {
  let dir = '';
  afterEach(async () => {
    for (const v of VARS) if (saved[v] === undefined) delete process.env[v];
    else process.env[v] = saved[v];
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('connects to the address of the profile TEMPORAL_PROFILE names, with no address option', async () => {
    const p = await profileFile();
    dir = p.dir;
    delete process.env.TEMPORAL_ADDRESS;
    process.env.TEMPORAL_CONFIG_FILE = p.file;
    process.env.TEMPORAL_PROFILE = 'ci';
    const runtime = await Runtime.create({}, { logger: silentLogger });
    try {
      expect(await runtime.readiness()).toMatchObject({ connected: true, devServer: false });
    } finally {
      await runtime.shutdown({ graceMs: 0 });
    }
  });

  it('takes the profile option, and an explicit address wins over the profile', async () => {
    const p = await profileFile();
    dir = p.dir;
    delete process.env.TEMPORAL_ADDRESS;
    process.env.TEMPORAL_CONFIG_FILE = p.file;
    const viaOption = await Runtime.create({ profile: 'ci' }, { logger: silentLogger });
    await viaOption.shutdown({ graceMs: 0 });
    // The default profile points at a closed port: only the explicit address makes this connect.
    const explicit = await Runtime.create({ address: temporalAddress() }, { logger: silentLogger });
    await explicit.shutdown({ graceMs: 0 });
    await expect(Runtime.create({}, { logger: silentLogger })).rejects.toMatchObject({ code: 'CONNECTION_UNREACHABLE' });
  });
});
