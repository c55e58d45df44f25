/**
 * HPACK (RFC 7541) for a gRPC client: a full decoder (static and dynamic table, Huffman, size
 * updates), since the server decides how it encodes; and the few encoder pieces a request needs.
 * Requests use literal fields without indexing and raw strings only, so our encoder keeps no state
 * and a call's header block is mostly bytes prepared once per connection.
 */
import { HpackError, huffmanDecode } from './hpack-huffman.js';

export { HpackError };

/** RFC 7541 Appendix A: [name, value], index 1 first. */
const STATIC_TABLE: ReadonlyArray<readonly [string, string]> = [
  [':authority', ''], [':method', 'GET'], [':method', 'POST'], [':path', '/'], [':path', '/index.html'],
  [':scheme', 'http'], [':scheme', 'https'], [':status', '200'], [':status', '204'], [':status', '206'],
  [':status', '304'], [':status', '400'], [':status', '404'], [':status', '500'], ['accept-charset', ''],
  ['accept-encoding', 'gzip, deflate'], ['accept-language', ''], ['accept-ranges', ''], ['accept', ''],
  ['access-control-allow-origin', ''], ['age', ''], ['allow', ''], ['authorization', ''], ['cache-control', ''],
  ['content-disposition', ''], ['content-encoding', ''], ['content-language', ''], ['content-length', ''],
  ['content-location', ''], ['content-range', ''], ['content-type', ''], ['cookie', ''], ['date', ''], ['etag', ''],
  ['expect', ''], ['expires', ''], ['from', ''], ['host', ''], ['if-match', ''], ['if-modified-since', ''],
  ['if-none-match', ''], ['if-range', ''], ['if-unmodified-since', ''], ['last-modified', ''], ['link', ''],
  ['location', ''], ['max-forwards', ''], ['proxy-authenticate', ''], ['proxy-authorization', ''], ['range', ''],
  ['referer', ''], ['refresh', ''], ['retry-after', ''], ['server', ''], ['set-cookie', ''],
  ['strict-transport-security', ''], ['transfer-encoding', ''], ['user-agent', ''], ['vary', ''], ['via', ''],
  ['www-authenticate', ''],
];

/** Static table index of a name, for literal fields with an indexed name. */
const STATIC_NAME_INDEX = new Map<string, number>();
STATIC_TABLE.forEach(([name], i) => STATIC_NAME_INDEX.has(name) || STATIC_NAME_INDEX.set(name, i + 1));

/** Decoded header fields, in order; repeated names keep every value. */
export type HeaderList = Array<[name: string, value: string]>;

/**
 * One connection's decoder. Every header block the connection receives must go through it in
 * order, including those of streams we no longer care about: the dynamic table is shared state.
 */
export class HpackDecoder {
  /** Newest first. */
  private readonly table: Array<[string, string]> = [];
  private size = 0;
  private maxSize: number;

  /** @param settingsMaxSize our SETTINGS_HEADER_TABLE_SIZE, the most the peer may use. */
  constructor(private readonly settingsMaxSize = 4096) {
    this.maxSize = settingsMaxSize;
  }

  decode(block: Uint8Array): HeaderList {
    const out: HeaderList = [];
    const r = { pos: 0 };
    let fieldSeen = false;
    while (r.pos < block.length) {
      const b = block[r.pos]!;
      if (b & 0x80) {
        out.push(this.entry(readInt(block, r, 7)));
        fieldSeen = true;
      } else if (b & 0x40) {
        const field = this.literal(block, r, 6);
        this.add(field);
        out.push(field);
        fieldSeen = true;
      } else if (b & 0x20) {
        // A size update is only allowed at the start of a block.
        if (fieldSeen) throw new HpackError('HPACK: table size update after a header field');
        const size = readInt(block, r, 5);
        if (size > this.settingsMaxSize) throw new HpackError(`HPACK: table size ${size} over the ${this.settingsMaxSize} we allow`);
        this.maxSize = size;
        this.evict();
      } else {
        out.push(this.literal(block, r, 4)); // without indexing, or never indexed
        fieldSeen = true;
      }
    }
    return out;
  }

  private entry(index: number): [string, string] {
    if (index === 0) throw new HpackError('HPACK: index 0');
    if (index <= STATIC_TABLE.length) return STATIC_TABLE[index - 1] as [string, string];
    const e = this.table[index - STATIC_TABLE.length - 1];
    if (!e) throw new HpackError(`HPACK: index ${index} beyond the table`);
    return e;
  }

  private literal(block: Uint8Array, r: { pos: number }, prefix: number): [string, string] {
    const nameIndex = readInt(block, r, prefix);
    const name = nameIndex === 0 ? readString(block, r) : this.entry(nameIndex)[0];
    return [name, readString(block, r)];
  }

  private add(field: [string, string]): void {
    const size = field[0].length + field[1].length + 32;
    this.table.unshift(field);
    this.size += size;
    this.evict();
  }

  private evict(): void {
    while (this.size > this.maxSize && this.table.length) {
      const [n, v] = this.table.pop()!;
      this.size -= n.length + v.length + 32;
    }
  }
}

function readInt(block: Uint8Array, r: { pos: number }, prefix: number): number {
  const max = (1 << prefix) - 1;
  let value = block[r.pos++]! & max;
  if (value < max) return value;
  for (let shift = 0; ; shift += 7) {
    if (r.pos >= block.length) throw new HpackError('HPACK: truncated integer');
    if (shift > 21) throw new HpackError('HPACK: integer too large');
    const b = block[r.pos++]!;
    value += (b & 0x7f) * 2 ** shift;
    if (!(b & 0x80)) return value;
  }
}

function readString(block: Uint8Array, r: { pos: number }): string {
  if (r.pos >= block.length) throw new HpackError('HPACK: truncated string');
  const huffman = (block[r.pos]! & 0x80) !== 0;
  const len = readInt(block, r, 7);
  const start = r.pos;
  const end = start + len;
  if (end > block.length) throw new HpackError('HPACK: string beyond the block');
  r.pos = end;
  return huffman ? huffmanDecode(block, start, end) : Buffer.from(block.buffer, block.byteOffset + start, len).toString('latin1');
}

/** An HPACK integer with `prefix` bits in its first byte, whose high bits are `first`. */
function intBytes(first: number, prefix: number, value: number): number[] {
  const max = (1 << prefix) - 1;
  if (value < max) return [first | value];
  const out = [first | max];
  value -= max;
  while (value >= 0x80) {
    out.push((value & 0x7f) | 0x80);
    value = Math.floor(value / 0x80);
  }
  out.push(value);
  return out;
}

function rawString(s: string): Buffer {
  const bytes = Buffer.from(s, 'latin1');
  return Buffer.concat([Buffer.from(intBytes(0, 7, bytes.length)), bytes]);
}

/** A literal header field without indexing (static-table name where there is one, raw strings). */
export function encodeLiteral(name: string, value: string): Buffer {
  const index = STATIC_NAME_INDEX.get(name);
  return index !== undefined
    ? Buffer.concat([Buffer.from(intBytes(0x00, 4, index)), rawString(value)])
    : Buffer.concat([Buffer.from([0x00]), rawString(name), rawString(value)]);
}

/** An indexed field of the static table, e.g. `:method: POST`; throws if it is not there. */
export function encodeIndexed(name: string, value: string): Buffer {
  const i = STATIC_TABLE.findIndex(([n, v]) => n === name && v === value);
  if (i < 0) throw new Error(`${name}: ${value} is not in the HPACK static table`);
  return Buffer.from(intBytes(0x80, 7, i + 1));
}
