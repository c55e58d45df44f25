import path from 'node:path';
import { defaultDataConverter } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { loadDataConverter } from '../../../core/worker/data-converter.js';

const fixtures = path.resolve('test/fixtures/data-converter');

describe('loadDataConverter', () => {
  it('loads converter modules by path over the base, and takes the codecs', async () => {
    const codec = { encode: async (p: never[]) => p, decode: async (p: never[]) => p };
    const loaded = await loadDataConverter({ failureConverterPath: path.join(fixtures, 'failure-converter.ts'), payloadCodecs: [codec] }, defaultDataConverter);
    expect(loaded.payloadConverter).toBe(defaultDataConverter.payloadConverter);
    expect(loaded.failureConverter).not.toBe(defaultDataConverter.failureConverter);
    expect(loaded.payloadCodecs).toEqual([codec]);
    expect(await loadDataConverter(undefined, defaultDataConverter)).toBe(defaultDataConverter);
  });

  it('names the option and the file when a module is missing or lacks its export', async () => {
    await expect(loadDataConverter({ payloadConverterPath: path.join(fixtures, 'nope.ts') }, defaultDataConverter)).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('dataConverter.payloadConverterPath: cannot load') });
    await expect(loadDataConverter({ payloadConverterPath: path.join(fixtures, 'failure-converter.ts') }, defaultDataConverter)).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('must export `payloadConverter`'),
    });
  });
});
