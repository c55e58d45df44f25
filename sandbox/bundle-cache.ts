/**
 * Content-addressed cache of workflow bundles. An entry is keyed by the bundle options and is
 * valid while every input file still has the bytes it had at build time: content, not mtime, so
 * a `git checkout` that restores old files hits the cache and a same-second edit does not.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { WorkflowBundle } from './bundler.js';

interface CacheEntry {
  /** Digest of the inputs' contents at build time. */
  readonly inputsDigest: string;
  readonly bundle: WorkflowBundle;
}

/** Hex SHA-256 of the given parts, separated so that ('ab','c') and ('a','bc') differ. */
export function sha256(...parts: readonly (string | Uint8Array)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) {
    hash.update(part);
    hash.update('\0');
  }
  return hash.digest('hex');
}

/** Digest of the files' contents, or undefined when one of them no longer exists. */
export function digestInputs(files: readonly string[]): string | undefined {
  const hash = createHash('sha256');
  try {
    for (const file of files) {
      // Never open a FIFO or device here: the read would block the main thread for good.
      if (!statSync(file).isFile()) return undefined;
      hash.update(file);
      hash.update(readFileSync(file));
    }
  } catch {
    return undefined;
  }
  return hash.digest('hex');
}

/** In-memory bundle cache, optionally backed by JSON files in `dir`. */
export class BundleCache {
  readonly #memory = new Map<string, CacheEntry>();

  constructor(private readonly dir?: string) {}

  /** The cached bundle for `key` if its inputs are unchanged. */
  async get(key: string): Promise<WorkflowBundle | undefined> {
    const entry = this.#memory.get(key) ?? (await this.#readDisk(key));
    if (entry === undefined) return undefined;
    if (digestInputs(entry.bundle.inputs) !== entry.inputsDigest) {
      this.#memory.delete(key);
      return undefined;
    }
    this.#memory.set(key, entry);
    return entry.bundle;
  }

  async set(key: string, bundle: WorkflowBundle, inputsDigest: string): Promise<void> {
    const entry: CacheEntry = { inputsDigest, bundle };
    this.#memory.set(key, entry);
    if (this.dir === undefined) return;
    // Write then rename, so a concurrent reader never sees half a file; a temp name of its own per
    // write, as two workers of one process may bundle the same code at once.
    await mkdir(this.dir, { recursive: true });
    const file = this.#file(key);
    const temp = `${file}.${process.pid}.${randomUUID()}.tmp`;
    await writeFile(temp, JSON.stringify(entry));
    await rename(temp, file);
  }

  #file(key: string): string {
    return path.join(this.dir ?? '', `${key}.json`);
  }

  async #readDisk(key: string): Promise<CacheEntry | undefined> {
    if (this.dir === undefined) return undefined;
    try {
      return JSON.parse(await readFile(this.#file(key), 'utf8')) as CacheEntry;
    } catch {
      return undefined; // missing or corrupt: rebuild
    }
  }
}
