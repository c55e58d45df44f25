import { describe, expect, it } from 'vitest';
import { HpackDecoder, HpackError, encodeIndexed, encodeLiteral } from '../../../core/connection/h2/hpack.js';
import { huffmanCode, huffmanDecode } from '../../../core/connection/h2/hpack-huffman.js';

const hex = (h: string) => Buffer.from(h.replace(/\s+/g, ''), 'hex');

describe('HPACK Huffman code', () => {
  it('the canonical code built from the lengths has the codes RFC 7541 Appendix B lists', () => {
    expect(huffmanCode(0)).toEqual([0x1ff8, 13]);
    expect(huffmanCode(0x20)).toEqual([0x14, 6]); // ' '
    expect(huffmanCode(0x30)).toEqual([0x0, 5]); // '0'
    expect(huffmanCode(0x61)).toEqual([0x3, 5]); // 'a'
    expect(huffmanCode(0xff)).toEqual([0x3ffffee, 26]);
    expect(huffmanCode(256)).toEqual([0x3fffffff, 30]); // EOS
  });

  it('decodes the strings of RFC 7541 Appendix C.4', () => {
    for (const [bytes, text] of [
      ['f1e3 c2e5 f23a 6ba0 ab90 f4ff', 'www.example.com'],
      ['a8eb 1064 9cbf', 'no-cache'],
      ['25a8 49e9 5ba9 7d7f', 'custom-key'],
      ['25a8 49e9 5bb8 e8b4 bf', 'custom-value'],
    ] as const) {
      const b = hex(bytes);
      expect(huffmanDecode(b, 0, b.length)).toBe(text);
    }
  });

  it('refuses padding that is not a prefix of EOS, or longer than 7 bits', () => {
    expect(() => huffmanDecode(hex('f1e3 c2e5 f23a 6ba0 ab90 f4fe'), 0, 12)).toThrow(HpackError);
    expect(() => huffmanDecode(hex('ff'), 0, 1)).toThrow(HpackError);
  });
});

describe('HpackDecoder', () => {
  it('decodes the request header blocks of RFC 7541 C.4 in order, through the dynamic table', () => {
    const d = new HpackDecoder();
    expect(d.decode(hex('8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff'))).toEqual([
      [':method', 'GET'],
      [':scheme', 'http'],
      [':path', '/'],
      [':authority', 'www.example.com'],
    ]);
    expect(d.decode(hex('8286 84be 5886 a8eb 1064 9cbf'))).toEqual([
      [':method', 'GET'],
      [':scheme', 'http'],
      [':path', '/'],
      [':authority', 'www.example.com'],
      ['cache-control', 'no-cache'],
    ]);
    expect(d.decode(hex('8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf'))).toEqual([
      [':method', 'GET'],
      [':scheme', 'https'],
      [':path', '/index.html'],
      [':authority', 'www.example.com'],
      ['custom-key', 'custom-value'],
    ]);
  });

  it('evicts the oldest entries past the table size and honours size updates', () => {
    const d = new HpackDecoder();
    // Size update to 60 bytes, then two literals with incremental indexing (each 32 + 2 = 34 bytes).
    const lit = (n: string, v: string) => Buffer.concat([Buffer.from([0x40, n.length]), Buffer.from(n), Buffer.from([v.length]), Buffer.from(v)]);
    d.decode(Buffer.concat([Buffer.from([0x3f, 0x1d]), lit('a', 'b')])); // 0x3f 0x1d: 31 + 29 = 60
    d.decode(lit('c', 'd'));
    expect(d.decode(Buffer.from([0xbe]))).toEqual([['c', 'd']]); // index 62: the newest
    expect(() => d.decode(Buffer.from([0xbf]))).toThrow(HpackError); // 'a: b' was evicted
    expect(() => new HpackDecoder(4096).decode(Buffer.from([0x3f, 0xe2, 0x20]))).toThrow(/over the 4096/); // 8193
    expect(() => d.decode(Buffer.concat([lit('x', 'y'), Buffer.from([0x20])]))).toThrow(/after a header field/);
  });

  it('reads what our encoder writes', () => {
    const block = Buffer.concat([encodeIndexed(':method', 'POST'), encodeLiteral(':path', '/a/B'), encodeLiteral('grpc-timeout', '70000m'), encodeLiteral('x-'.padEnd(300, 'k'), 'v'.repeat(200))]);
    expect(new HpackDecoder().decode(block)).toEqual([
      [':method', 'POST'],
      [':path', '/a/B'],
      ['grpc-timeout', '70000m'],
      ['x-'.padEnd(300, 'k'), 'v'.repeat(200)],
    ]);
  });
});
