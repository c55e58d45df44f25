/**
 * The control API's bearer token: one rule for every source (config, TEMPO_API_TOKEN, code), and
 * a random one when none is given, written where only this user can read it (as notebook
 * servers do with theirs).
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, rename, unlink, writeFile, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { validate } from '../core/validate.js';

/** Shortest token accepted, from any source. */
export const MIN_API_TOKEN_LENGTH = 16;

/** A bearer token: what `Authorization: Bearer <token>` can carry, and long enough to guess at no rate. */
export const apiTokenSchema = z
  .string()
  .min(MIN_API_TOKEN_LENGTH, `must be at least ${MIN_API_TOKEN_LENGTH} characters`)
  .max(1024, 'must be at most 1024 characters')
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

/** Checks a token from `source` (`api.token`, `TEMPO_API_TOKEN`…); throws CONFIG_INVALID naming the source. */
export function checkApiToken(token: string, source: string): string {
  return validate(apiTokenSchema, token, source);
}

/** 32 random bytes, base64url: 43 characters. */
export function generateApiToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * The per-user directory for token files: `$XDG_RUNTIME_DIR/tempo-worker` (a tmpfs only this user
 * can read, gone at logout), else `%LOCALAPPDATA%\tempo-worker` on Windows, else
 * `${XDG_CACHE_HOME:-~/.cache}/tempo-worker`.
 */
export function defaultTokenDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.XDG_RUNTIME_DIR) return path.join(env.XDG_RUNTIME_DIR, 'tempo-worker');
  if (process.platform === 'win32' && env.LOCALAPPDATA) return path.join(env.LOCALAPPDATA, 'tempo-worker');
  return path.join(env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'tempo-worker');
}

/** Writes `token` to `dir/api-<port>.token`, mode 0600 in a 0700 directory; returns the file. */
export async function writeTokenFile(dir: string, port: number, token: string): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const file = path.join(dir, `api-${port}.token`);
  const temp = `${file}.${process.pid}.tmp`;
  // Created 0600 before the token is in it, then renamed: never readable by others, never half written.
  await writeFile(temp, `${token}\n`, { mode: 0o600, flag: 'w' });
  await chmod(temp, 0o600);
  await rename(temp, file);
  return file;
}

/** Removes the token file if it still holds `token` (another runtime may have taken the port since). */
export async function removeTokenFile(file: string, token: string): Promise<void> {
  try {
    if ((await readFile(file, 'utf8')).trim() === token) await unlink(file);
  } catch {
    // already gone
  }
}
