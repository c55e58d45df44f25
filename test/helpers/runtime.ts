import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../../core/logger.js';
import { Runtime, type RuntimeDeps } from '../../core/runtime/runtime.js';
import type { RuntimeInput } from '../../core/runtime/runtime-options.js';
import { temporalAddress } from './temporal.js';

export const pluginFixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/plugins');
/** The repository root: test runtimes may load modules from anywhere in it (fixtures, examples). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A logger that drops everything (tests assert on behaviour, not log lines). */
export const silentLogger: Logger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/** A runtime on this run's real server; relative plugin specifiers resolve in test/fixtures/plugins, modules load from the repository. */
export function testRuntime(input: RuntimeInput = {}, deps: RuntimeDeps = {}): Promise<Runtime> {
  return Runtime.create({ address: temporalAddress(), baseDir: pluginFixtures, moduleRoots: [repoRoot], drainGraceMs: 10_000, ...input }, { logger: silentLogger, ...deps });
}

/** A response's JSON body. `any` on purpose: tests index into API answers freely and toEqual checks the shape. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const json = async (res: Response | Promise<Response>): Promise<any> => (await res).json();
