/**
 * HPACK's static Huffman code (RFC 7541 Appendix B), decoding only: servers Huffman-encode header
 * names and values whenever that is shorter, so a client must read it; we never encode with it.
 *
 * The code is canonical: codes of one length are consecutive, in symbol order, and each length
 * starts where the previous one ended, shifted left. So the appendix's code lengths alone define
 * it, and a canonical decoder (first code and first symbol per length) needs no tree.
 */

/** Bit length of the code of each byte value 0–255 (RFC 7541 Appendix B); EOS (256) is 30 bits. */
const CODE_LENGTHS = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, 6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, 24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, 21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, 19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, 26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
  30,
];

const EOS = 256;
const MAX_LENGTH = 30;

/** Symbols ordered by (code length, symbol): the canonical order. */
const symbols = Int16Array.from(
  CODE_LENGTHS.map((len, sym) => ({ len, sym }))
    .sort((a, b) => a.len - b.len || a.sym - b.sym)
    .map((s) => s.sym),
);
/** Per length: the first code of that length, how many codes have it, and where they start in `symbols`. */
const firstCode = new Int32Array(MAX_LENGTH + 1);
const countOf = new Int32Array(MAX_LENGTH + 1);
const firstIndex = new Int32Array(MAX_LENGTH + 1);
for (const len of CODE_LENGTHS) countOf[len]!++;
for (let len = 1, code = 0, index = 0; len <= MAX_LENGTH; len++) {
  firstCode[len] = code;
  firstIndex[len] = index;
  code = (code + countOf[len]!) << 1;
  index += countOf[len]!;
}

/** The code of each symbol (for tests: the appendix lists some), as [code, length]. */
export function huffmanCode(sym: number): [number, number] {
  const len = CODE_LENGTHS[sym]!;
  let i = firstIndex[len]!;
  while (symbols[i] !== sym) i++;
  return [firstCode[len]! + (i - firstIndex[len]!), len];
}

/** A header block the peer encoded wrongly: a connection error (COMPRESSION_ERROR) for the caller. */
export class HpackError extends Error {}

/** Decodes `bytes[start, end)` as a Huffman-coded string (latin1: header bytes one to one). */
export function huffmanDecode(bytes: Uint8Array, start: number, end: number): string {
  let out = '';
  let code = 0;
  let len = 0;
  for (let i = start; i < end; i++) {
    const byte = bytes[i]!;
    for (let bit = 7; bit >= 0; bit--) {
      code = (code << 1) | ((byte >> bit) & 1);
      len++;
      const offset = code - firstCode[len]!;
      if (offset >= 0 && offset < countOf[len]!) {
        const sym = symbols[firstIndex[len]! + offset]!;
        if (sym === EOS) throw new HpackError('HPACK: EOS symbol inside a Huffman string');
        out += String.fromCharCode(sym);
        code = 0;
        len = 0;
      } else if (len === MAX_LENGTH) throw new HpackError('HPACK: invalid Huffman code');
    }
  }
  // Padding: fewer than 8 bits, all ones (a prefix of EOS).
  if (len > 7 || code !== (1 << len) - 1) throw new HpackError('HPACK: invalid Huffman padding');
  return out;
}
