import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { randomnessSeedFromRunId } from '../../../core/workflow/randomness-seed.js';

/**
 * SipHash-1-3 with zero keys over the UTF-8 bytes and a 0xFF byte, written plainly on 64-bit
 * BigInts (the form the seed function had before it moved to 32-bit halves, and that matched
 * the official worker's random numbers in the differential tests).
 */
function reference(runId: string): bigint {
  const MASK = (1n << 64n) - 1n;
  const rotl = (x: bigint, b: bigint) => ((x << b) | (x >> (64n - b))) & MASK;
  const bytes = [...new TextEncoder().encode(runId), 0xff];
  let v0 = 0x736f6d6570736575n;
  let v1 = 0x646f72616e646f6dn;
  let v2 = 0x6c7967656e657261n;
  let v3 = 0x7465646279746573n;
  const round = () => {
    v0 = (v0 + v1) & MASK; v1 = rotl(v1, 13n) ^ v0; v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & MASK; v3 = rotl(v3, 16n) ^ v2;
    v0 = (v0 + v3) & MASK; v3 = rotl(v3, 21n) ^ v0;
    v2 = (v2 + v1) & MASK; v1 = rotl(v1, 17n) ^ v2; v2 = rotl(v2, 32n);
  };
  const word = (offset: number, length: number) => {
    let m = 0n;
    for (let i = 0; i < length; i++) m |= BigInt(bytes[offset + i]!) << BigInt(8 * i);
    return m;
  };
  const full = Math.floor(bytes.length / 8);
  for (let w = 0; w < full; w++) { const m = word(w * 8, 8); v3 ^= m; round(); v0 ^= m; }
  const last = ((BigInt(bytes.length) & 0xffn) << 56n) | word(full * 8, bytes.length % 8);
  v3 ^= last; round(); v0 ^= last;
  v2 ^= 0xffn;
  round(); round(); round();
  return (v0 ^ v1 ^ v2 ^ v3) & MASK;
}

describe('randomnessSeedFromRunId', () => {
  it('is SipHash-1-3 of the run id for every length of the last word, and for multi-byte characters', () => {
    const ids = ['', 'a', 'é', '日本', '🙂', randomUUID(), '01a2324b-974b-7417-96f6-8e41111656bb'];
    for (let n = 0; n <= 70; n++) ids.push('x'.repeat(n), 'ÿ'.repeat(n), String.fromCharCode(...Array.from({ length: n }, (_, i) => 32 + ((i * 37) % 90))));
    for (let i = 0; i < 200; i++) ids.push(randomUUID());
    for (const id of ids) expect(randomnessSeedFromRunId(id), id).toBe(reference(id));
  });

  it('gives the seeds the BigInt form gave (the one the differential tests held to the official worker)', () => {
    expect(randomnessSeedFromRunId('')).toBe(3476900567878811119n);
    expect(randomnessSeedFromRunId('01a2324b-974b-7417-96f6-8e41111656bb')).toBe(4442903893108538803n);
    expect(randomnessSeedFromRunId('hello-world')).toBe(12039648193288209095n);
  });
});
