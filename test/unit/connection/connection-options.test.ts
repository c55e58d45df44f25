import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from '../../../core/connection/backoff.js';
import { connectionDefaults, connectionInputSchema } from '../../../core/connection/connection-options.js';
import { validate } from '../../../core/validate.js';
import { Connection } from '../../../core/connection/connection.js';

describe('connection options', () => {
  it('names every bad field', () => {
    expect(() => validate(connectionInputSchema, { address: 'nohost', callTimeoutMs: -1, bogus: 1 }, 'connection')).toThrow(
      /connection\.address: address must be host:port.*connection\.callTimeoutMs.*Unrecognized key/,
    );
  });
  it('accepts TLS with a client pair and an API key', () => {
    const parsed = validate(connectionInputSchema, { address: 'x.tmprl.cloud:7233', tls: { clientCertPair: { crt: 'C', key: 'K' } }, apiKey: 'k' }, 'connection');
    expect(parsed.apiKey).toBe('k');
  });
  it('Connection.connect rejects invalid input before any network call', async () => {
    await expect(Connection.connect({ address: 'bad address' })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });
});

describe('backoffDelayMs', () => {
  const opts = { ...connectionDefaults.retry, jitter: 0 };
  it('grows exponentially and is capped', () => {
    expect([1, 2, 3, 4].map((a) => backoffDelayMs(a, opts))).toEqual([100, 200, 400, 800]);
    expect(backoffDelayMs(30, opts)).toBe(opts.maxIntervalMs);
  });
  it('jitters within ±jitter', () => {
    const j = { ...opts, jitter: 0.2 };
    expect(backoffDelayMs(1, j, () => 0)).toBeCloseTo(80);
    expect(backoffDelayMs(1, j, () => 1)).toBeCloseTo(120);
  });
});
