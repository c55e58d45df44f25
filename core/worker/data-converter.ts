/**
 * `dataConverter` as the official worker takes it: converter modules by path (they also run
 * inside workflows, so they must be bundled, hence paths rather than objects) and codec objects
 * (main side only). Loaded here for the main side: activities, and the codec step of workflows.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import type { DataConverter, FailureConverter, LoadedDataConverter, PayloadCodec, PayloadConverter } from '@temporalio/common';
import { ConfigError } from '../errors.js';

/** The part of the official `DataConverter` this runtime takes (`externalStorage` is not supported yet). */
export type WorkerDataConverter = Pick<DataConverter, 'payloadConverterPath' | 'failureConverterPath' | 'payloadCodecs'>;

const hasMethods = (value: unknown, names: readonly string[]): boolean =>
  typeof value === 'object' && value !== null && names.every((n) => typeof (value as Record<string, unknown>)[n] === 'function');

/** Validates the option's shape; code paths are checked when loaded. */
export const dataConverterSchema = z
  .object({
    payloadConverterPath: z.string().min(1).optional(),
    failureConverterPath: z.string().min(1).optional(),
    payloadCodecs: z.array(z.custom<PayloadCodec>((v) => hasMethods(v, ['encode', 'decode']), 'must be a PayloadCodec (encode and decode)')).optional(),
  })
  .strict();

/**
 * Loads the converters named by path (ESM or CommonJS, `.ts` where a loader is installed) over
 * `base` (the converter a runtime lends, or the default one).
 * @throws {ConfigError} `CONFIG_INVALID` naming the path, when a module cannot be loaded or lacks its export
 */
export async function loadDataConverter(option: WorkerDataConverter | undefined, base: LoadedDataConverter): Promise<LoadedDataConverter> {
  if (option === undefined) return base;
  const payloadConverter = option.payloadConverterPath
    ? await loadExport<PayloadConverter>(option.payloadConverterPath, 'payloadConverter', ['toPayload', 'fromPayload'])
    : base.payloadConverter;
  const failureConverter = option.failureConverterPath
    ? await loadExport<FailureConverter>(option.failureConverterPath, 'failureConverter', ['errorToFailure', 'failureToError'])
    : base.failureConverter;
  return { payloadConverter, failureConverter, payloadCodecs: option.payloadCodecs ? [...option.payloadCodecs] : base.payloadCodecs };
}

async function loadExport<T>(file: string, name: 'payloadConverter' | 'failureConverter', methods: readonly string[]): Promise<T> {
  const field = `dataConverter.${name}Path`;
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(path.resolve(file)).href)) as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(`${field}: cannot load ${file}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  // A CommonJS module imported from ESM puts its exports on `default` as well.
  const value = module[name] ?? (module.default as Record<string, unknown> | undefined)?.[name];
  if (!hasMethods(value, methods)) throw new ConfigError(`${field}: ${file} must export \`${name}\`, an object with ${methods.join(' and ')}`);
  return value as T;
}
