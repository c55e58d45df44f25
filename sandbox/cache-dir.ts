/**
 * The per-user directory where bundles and the sandbox thread entry are cached across restarts.
 * Code is read back from it and executed, so it must be writable by this user only: a shared
 * `/tmp` path would let another local user plant a file under a predictable name.
 */
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** `TEMPO_CACHE_DIR`, else `$XDG_CACHE_HOME/tempo-worker`, else `~/.cache/tempo-worker`. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TEMPO_CACHE_DIR) return path.resolve(env.TEMPO_CACHE_DIR);
  const base = env.XDG_CACHE_HOME ? path.resolve(env.XDG_CACHE_HOME) : path.join(os.homedir(), '.cache');
  return path.join(base, 'tempo-worker');
}

const checked = new Map<string, string | undefined>();

/**
 * `<cacheRoot>/<sub>`, created with mode 0700. Returns undefined (callers then cache in memory
 * only) when the directory cannot be made private: owned by someone else, or not creatable.
 */
export function privateCacheDir(sub: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dir = path.join(cacheRoot(env), sub);
  if (checked.has(dir)) return checked.get(dir);
  let result: string | undefined;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = statSync(dir);
    const uid = process.getuid?.();
    if (st.isDirectory() && (uid === undefined || st.uid === uid)) {
      // mkdir leaves an existing directory's mode alone.
      if ((st.mode & 0o077) !== 0) chmodSync(dir, 0o700);
      result = dir;
    }
  } catch {
    result = undefined;
  }
  checked.set(dir, result);
  return result;
}
