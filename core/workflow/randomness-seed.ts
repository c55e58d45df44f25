/**
 * The workflow's randomness seed, derived from a run id exactly as the official core derives it
 * (SipHash-1-3 with zero keys over Rust's `str` hashing: the UTF-8 bytes then a 0xFF byte), so a
 * workflow replayed here draws the same random numbers as on the official worker.
 */
const MASK = (1n << 64n) - 1n;

function rotl(x: bigint, b: bigint): bigint {
  return ((x << b) | (x >> (64n - b))) & MASK;
}

export function randomnessSeedFromRunId(runId: string): bigint {
  const bytes = [...new TextEncoder().encode(runId), 0xff];
  let v0 = 0x736f6d6570736575n;
  let v1 = 0x646f72616e646f6dn;
  let v2 = 0x6c7967656e657261n;
  let v3 = 0x7465646279746573n;
  const round = (): void => {
    v0 = (v0 + v1) & MASK;
    v1 = rotl(v1, 13n) ^ v0;
    v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & MASK;
    v3 = rotl(v3, 16n) ^ v2;
    v0 = (v0 + v3) & MASK;
    v3 = rotl(v3, 21n) ^ v0;
    v2 = (v2 + v1) & MASK;
    v1 = rotl(v1, 17n) ^ v2;
    v2 = rotl(v2, 32n);
  };
  const word = (offset: number, length: number): bigint => {
    let m = 0n;
    for (let i = 0; i < length; i++) m |= BigInt(bytes[offset + i]!) << BigInt(8 * i);
    return m;
  };
  const fullWords = Math.floor(bytes.length / 8);
  for (let w = 0; w < fullWords; w++) {
    const m = word(w * 8, 8);
    v3 ^= m;
    round();
    v0 ^= m;
  }
  const tail = bytes.length % 8;
  const last = ((BigInt(bytes.length) & 0xffn) << 56n) | word(fullWords * 8, tail);
  v3 ^= last;
  round();
  v0 ^= last;
  v2 ^= 0xffn;
  round();
  round();
  round();
  return (v0 ^ v1 ^ v2 ^ v3) & MASK;
}
