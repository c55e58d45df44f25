/**
 * One HTTP/2 client connection (RFC 9113) for unary gRPC calls, on a plain `net` or `tls` socket.
 *
 * Hand-written because no library does this cheaply in Node: `node:http2` gives every request a
 * Duplex stream, an AsyncResource bound with two deprecation wrappers, header objects built and
 * validated in JS, and a hop into nghttp2 and back; against the benchmark's fake server a poll and
 * its answer cost 0.134 ms of client CPU that way, most of the activity path (bench/README.md). A
 * unary call needs none of it: one HEADERS and one DATA frame out (written together, with the
 * other calls of the same tick), and frames parsed straight from the socket's chunks.
 *
 * What it does: the preface and SETTINGS exchange, HPACK decoding (./hpack.ts), flow control both
 * ways, CONTINUATION, RST_STREAM, PING (answered, and sent as keepalive), GOAWAY (streams it did not
 * take are reported `refused`, safe to send again), the peer's concurrent-stream limit (calls over
 * it wait). What it leaves out: server push (disabled in our SETTINGS), priorities, compression.
 */
import net from 'node:net';
import tls from 'node:tls';
import { CLIENT_PREFACE, DEFAULT_MAX_FRAME, DEFAULT_WINDOW, ErrorCode, Flag, frame, FrameType, MAX_WINDOW, Setting, u32, writeFrameHeader } from './frames.js';
import { HpackDecoder, HpackError, type HeaderList } from './hpack.js';

/** How a stream ended. */
export type StreamOutcome =
  | { kind: 'ended'; headers: HeaderList; trailers: HeaderList | undefined; chunks: Buffer[] }
  | { kind: 'reset'; code: number }
  /** The server never took the stream (GOAWAY below its id, or never sent): safe to send again. */
  | { kind: 'refused'; message: string }
  /** The connection ended while the stream was open. */
  | { kind: 'lost'; message: string }
  | { kind: 'too-large'; received: number };

export interface StreamHandle {
  /** Ends the stream from our side (RST_STREAM CANCEL); its callback is not called. */
  cancel(): void;
}

export interface H2SessionOptions {
  host: string;
  port: number;
  tls: false | { ca?: Buffer; cert?: Buffer; key?: Buffer; servername?: string };
  /** A stream receiving more DATA than this is reset and reported `too-large`. */
  maxReceiveBytes: number;
  keepaliveTimeMs: number;
  keepaliveTimeoutMs: number;
  /** The session can take no more streams (GOAWAY, closed): the owner should open another. */
  onUnusable: (session: H2Session) => void;
}

interface Stream {
  id: number;
  headerBlock: Buffer;
  /** The protobuf bytes; DATA carries them as one gRPC length-prefixed message. */
  message: Uint8Array;
  /** The whole DATA payload, made only when it goes out in more than one frame. */
  body: Buffer | undefined;
  sent: number;
  sendWindow: number;
  headers: HeaderList | undefined;
  trailers: HeaderList | undefined;
  chunks: Buffer[];
  received: number;
  recvUnacked: number;
  done: (outcome: StreamOutcome) => void;
}

/** Our receive windows: large, so a big history page streams without waiting on us. */
const STREAM_WINDOW = 16 * 1024 * 1024;
const CONNECTION_WINDOW = 64 * 1024 * 1024;
const LAST_STREAM_ID = 2 ** 31 - 1;
/** Queued frames (or frame groups) that make a write before the end of the tick. */
const FRAMES_PER_WRITE = 4;

export class H2Session {
  private readonly socket: net.Socket;
  private readonly decoder = new HpackDecoder();
  private readonly streams = new Map<number, Stream>();
  /** Streams over the peer's concurrency limit, not sent yet. */
  private readonly waiting: Stream[] = [];
  /** Streams with DATA left that flow control holds back. */
  private readonly blocked = new Set<Stream>();
  private nextId = 1;
  private out: Buffer[] = [];
  private flushScheduled = false;
  private rest: Buffer | undefined;
  private continuation: { id: number; flags: number; parts: Buffer[] } | undefined;
  private peerMaxFrame = DEFAULT_MAX_FRAME;
  private peerInitialWindow = DEFAULT_WINDOW;
  private peerMaxStreams = Infinity;
  private connSendWindow = DEFAULT_WINDOW;
  private connRecvUnacked = 0;
  private goingAway = false;
  private destroyed = false;
  private readonly keepalive: NodeJS.Timeout;
  private pingDeadline: NodeJS.Timeout | undefined;

  constructor(private readonly opts: H2SessionOptions) {
    const t = opts.tls;
    this.socket = t
      ? tls.connect({ host: opts.host, port: opts.port, ca: t.ca, cert: t.cert, key: t.key, servername: t.servername, ALPNProtocols: ['h2'] })
      : net.connect({ host: opts.host, port: opts.port });
    this.socket.setNoDelay(true);
    if (t) {
      (this.socket as tls.TLSSocket).once('secureConnect', () => {
        if ((this.socket as tls.TLSSocket).alpnProtocol !== 'h2') this.destroy('the server did not agree to HTTP/2 (ALPN h2) over TLS');
      });
    }
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (err) => this.destroy(err.message));
    this.socket.on('close', () => this.destroy('the connection closed'));
    this.socket.unref();
    // Written before the socket connects: Node holds it until then.
    const settings = Buffer.concat([setting(Setting.ENABLE_PUSH, 0), setting(Setting.INITIAL_WINDOW_SIZE, STREAM_WINDOW)]);
    this.queue(CLIENT_PREFACE, frame(FrameType.SETTINGS, 0, 0, settings), frame(FrameType.WINDOW_UPDATE, 0, 0, u32(CONNECTION_WINDOW - DEFAULT_WINDOW)));
    this.keepalive = setInterval(() => this.ping(), opts.keepaliveTimeMs).unref();
  }

  /** False once the session takes no new streams. */
  get usable(): boolean {
    return !this.destroyed && !this.goingAway;
  }

  /** Opens a stream: `headerBlock` (HPACK), then `message` as one gRPC message with END_STREAM. */
  request(headerBlock: Buffer, message: Uint8Array, done: (outcome: StreamOutcome) => void): StreamHandle {
    const s: Stream = { id: 0, headerBlock, message, body: undefined, sent: 0, sendWindow: 0, headers: undefined, trailers: undefined, chunks: [], received: 0, recvUnacked: 0, done };
    if (!this.usable) queueMicrotask(() => done({ kind: 'refused', message: 'the connection is going away' }));
    else if (this.streams.size >= this.peerMaxStreams) this.waiting.push(s);
    else this.open(s);
    return { cancel: () => this.cancel(s) };
  }

  /** Ends the connection; open streams end `lost`, waiting ones `refused`. */
  destroy(message: string): void {
    if (this.destroyed) return;
    this.destroyed = true;
    clearInterval(this.keepalive);
    clearTimeout(this.pingDeadline);
    this.socket.destroy();
    const open = [...this.streams.values()];
    const waiting = this.waiting.splice(0);
    this.streams.clear();
    this.blocked.clear();
    this.opts.onUnusable(this);
    for (const s of open) s.done({ kind: 'lost', message });
    for (const s of waiting) s.done({ kind: 'refused', message });
  }

  private open(s: Stream): void {
    if (this.nextId > LAST_STREAM_ID) {
      this.goAwayLocally();
      queueMicrotask(() => s.done({ kind: 'refused', message: 'stream ids used up on this connection' }));
      return;
    }
    s.id = this.nextId;
    this.nextId += 2;
    s.sendWindow = this.peerInitialWindow;
    if (this.streams.size === 0) this.socket.ref();
    this.streams.set(s.id, s);
    const { headerBlock: hb, message } = s;
    const dataLength = 5 + message.length;
    if (hb.length <= this.peerMaxFrame && dataLength <= Math.min(this.peerMaxFrame, s.sendWindow, this.connSendWindow)) {
      // The usual call: HEADERS and the whole DATA in one buffer, the message copied once.
      const buf = Buffer.allocUnsafe(18 + hb.length + dataLength);
      writeFrameHeader(buf, 0, hb.length, FrameType.HEADERS, Flag.END_HEADERS, s.id);
      hb.copy(buf, 9);
      const at = 18 + hb.length;
      writeFrameHeader(buf, at - 9, dataLength, FrameType.DATA, Flag.END_STREAM, s.id);
      writeMessagePrefix(buf, at, message.length);
      buf.set(message, at + 5);
      s.sent = dataLength;
      s.sendWindow -= dataLength;
      this.connSendWindow -= dataLength;
      this.queue(buf);
      return;
    }
    s.body = Buffer.allocUnsafe(dataLength);
    writeMessagePrefix(s.body, 0, message.length);
    s.body.set(message, 5);
    for (let at = 0; at < hb.length; at += this.peerMaxFrame) {
      const last = at + this.peerMaxFrame >= hb.length;
      this.queue(frame(at === 0 ? FrameType.HEADERS : FrameType.CONTINUATION, last ? Flag.END_HEADERS : 0, s.id, hb.subarray(at, at + this.peerMaxFrame)));
    }
    this.pump(s);
  }

  /** Sends as much of a stream's DATA as the windows allow. */
  private pump(s: Stream): void {
    const body = s.body!;
    while (s.sent < body.length) {
      const n = Math.min(body.length - s.sent, this.peerMaxFrame, s.sendWindow, this.connSendWindow);
      if (n <= 0) {
        this.blocked.add(s);
        return;
      }
      const end = s.sent + n === body.length;
      this.queue(frame(FrameType.DATA, end ? Flag.END_STREAM : 0, s.id, body.subarray(s.sent, s.sent + n)));
      s.sent += n;
      s.sendWindow -= n;
      this.connSendWindow -= n;
    }
    this.blocked.delete(s);
  }

  private cancel(s: Stream): void {
    const i = this.waiting.indexOf(s);
    if (i >= 0) this.waiting.splice(i, 1);
    if (this.streams.get(s.id) !== s) return;
    this.queue(frame(FrameType.RST_STREAM, 0, s.id, u32(ErrorCode.CANCEL)));
    this.close(s);
  }

  /** Forgets a stream that ended; starts a waiting one. */
  private close(s: Stream): void {
    this.streams.delete(s.id);
    this.blocked.delete(s);
    while (this.waiting.length && this.streams.size < this.peerMaxStreams && this.usable) this.open(this.waiting.shift()!);
    if (this.streams.size === 0) {
      this.socket.unref();
      if (this.goingAway) this.destroy('the server ended the connection (GOAWAY)');
    }
  }

  private end(s: Stream, outcome: StreamOutcome): void {
    this.close(s);
    s.done(outcome);
  }

  private queue(...bufs: Buffer[]): void {
    for (const b of bufs) this.out.push(b);
    // A few frames per write, the rest at the end of the tick. One write per tick would carry
    // every call that one read of answers set off, and the server and we would take turns, each
    // idle while the other works through the batch; against the fake server that held a worker to
    // ~6,000 activities/s with both processes under 60 % busy, and writing every fourth frame gave
    // ~8,300/s for the same CPU per task (bench/README.md, "Our own HTTP/2 client").
    if (this.out.length >= FRAMES_PER_WRITE) return this.flush();
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    process.nextTick(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    const out = this.out;
    this.out = [];
    if (this.destroyed || out.length === 0) return;
    this.socket.write(out.length === 1 ? out[0]! : Buffer.concat(out));
  }

  /** Keepalive, while calls are open (as grpc-js without `keepalive_permit_without_calls`). */
  private ping(): void {
    if (this.destroyed || this.pingDeadline || this.streams.size === 0) return;
    this.queue(frame(FrameType.PING, 0, 0, Buffer.alloc(8)));
    this.pingDeadline = setTimeout(() => this.destroy(`keepalive ping not answered within ${this.opts.keepaliveTimeoutMs} ms`), this.opts.keepaliveTimeoutMs).unref();
  }

  /** No new streams; the connection ends once the open ones have. */
  private goAwayLocally(): void {
    if (this.goingAway) return;
    this.goingAway = true;
    this.opts.onUnusable(this);
    if (this.streams.size === 0) this.destroy('the connection is going away');
  }

  /** A connection error of ours: tell the peer, end everything. */
  private fail(code: number, message: string): void {
    this.socket.write(frame(FrameType.GOAWAY, 0, 0, Buffer.concat([u32(0), u32(code)])));
    this.destroy(message);
  }

  private onData(chunk: Buffer): void {
    const buf = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    let pos = 0;
    while (buf.length - pos >= 9) {
      const len = (buf[pos]! << 16) | (buf[pos + 1]! << 8) | buf[pos + 2]!;
      if (len > DEFAULT_MAX_FRAME) return this.fail(ErrorCode.FRAME_SIZE_ERROR, `HTTP/2 frame of ${len} bytes, over our SETTINGS_MAX_FRAME_SIZE`);
      if (buf.length - pos < 9 + len) break;
      const type = buf[pos + 3]!;
      const flags = buf[pos + 4]!;
      const id = buf.readUInt32BE(pos + 5) & 0x7fffffff;
      const payload = buf.subarray(pos + 9, pos + 9 + len);
      pos += 9 + len;
      try {
        this.onFrame(type, flags, id, payload);
      } catch (err) {
        const hpack = err instanceof HpackError;
        return this.fail(hpack ? ErrorCode.COMPRESSION_ERROR : ErrorCode.PROTOCOL_ERROR, (err as Error).message);
      }
      if (this.destroyed) return;
    }
    this.rest = pos < buf.length ? buf.subarray(pos) : undefined;
  }

  private onFrame(type: number, flags: number, id: number, payload: Buffer): void {
    if (this.continuation && type !== FrameType.CONTINUATION) throw new Error('HTTP/2: a header block was interrupted by another frame');
    switch (type) {
      case FrameType.DATA:
        return this.onDataFrame(flags, id, payload);
      case FrameType.HEADERS: {
        let start = 0;
        let end = payload.length;
        if (flags & Flag.PADDED) end -= payload[start++]!;
        if (flags & Flag.PRIORITY) start += 5;
        if (start > end) throw new Error('HTTP/2: HEADERS padding beyond the frame');
        const fragment = payload.subarray(start, end);
        if (flags & Flag.END_HEADERS) return this.onHeaderBlock(id, flags, fragment);
        this.continuation = { id, flags, parts: [fragment] };
        return;
      }
      case FrameType.CONTINUATION: {
        const c = this.continuation;
        if (!c || c.id !== id) throw new Error('HTTP/2: CONTINUATION without its HEADERS');
        c.parts.push(payload);
        if (!(flags & Flag.END_HEADERS)) return;
        this.continuation = undefined;
        return this.onHeaderBlock(id, c.flags, Buffer.concat(c.parts));
      }
      case FrameType.RST_STREAM: {
        const s = this.streams.get(id);
        if (s) this.end(s, { kind: 'reset', code: payload.readUInt32BE(0) });
        return;
      }
      case FrameType.SETTINGS:
        if (flags & Flag.ACK) return;
        this.onSettings(payload);
        this.queue(frame(FrameType.SETTINGS, Flag.ACK, 0));
        return;
      case FrameType.PING:
        if (flags & Flag.ACK) {
          clearTimeout(this.pingDeadline);
          this.pingDeadline = undefined;
        } else this.queue(frame(FrameType.PING, Flag.ACK, 0, payload));
        return;
      case FrameType.GOAWAY:
        return this.onGoAway(payload.readUInt32BE(0) & 0x7fffffff, payload.readUInt32BE(4));
      case FrameType.WINDOW_UPDATE: {
        const inc = payload.readUInt32BE(0) & 0x7fffffff;
        if (id === 0) this.connSendWindow += inc;
        else {
          const s = this.streams.get(id);
          if (s) s.sendWindow += inc;
        }
        for (const s of [...this.blocked]) this.pump(s);
        return;
      }
      case FrameType.PUSH_PROMISE:
        throw new Error('HTTP/2: PUSH_PROMISE although our SETTINGS disabled push');
      default:
        return; // PRIORITY and unknown types carry nothing for us
    }
  }

  private onDataFrame(flags: number, id: number, payload: Buffer): void {
    // Flow control counts the whole payload, padding included, whether or not the stream is ours.
    this.connRecvUnacked += payload.length;
    if (this.connRecvUnacked >= CONNECTION_WINDOW / 2) {
      this.queue(frame(FrameType.WINDOW_UPDATE, 0, 0, u32(this.connRecvUnacked)));
      this.connRecvUnacked = 0;
    }
    const s = this.streams.get(id);
    if (!s) return;
    let data = payload;
    if (flags & Flag.PADDED) data = payload.subarray(1, payload.length - payload[0]!);
    s.received += data.length;
    if (s.received > this.opts.maxReceiveBytes) {
      this.queue(frame(FrameType.RST_STREAM, 0, s.id, u32(ErrorCode.CANCEL)));
      return this.end(s, { kind: 'too-large', received: s.received });
    }
    if (data.length) s.chunks.push(data);
    if (flags & Flag.END_STREAM) return this.end(s, { kind: 'ended', headers: s.headers ?? [], trailers: s.trailers, chunks: s.chunks });
    s.recvUnacked += payload.length;
    if (s.recvUnacked >= STREAM_WINDOW / 2) {
      this.queue(frame(FrameType.WINDOW_UPDATE, 0, s.id, u32(s.recvUnacked)));
      s.recvUnacked = 0;
    }
  }

  private onHeaderBlock(id: number, flags: number, block: Buffer): void {
    // Decoded even for a stream we dropped: the decoder's table must see every block.
    const list = this.decoder.decode(block);
    const s = this.streams.get(id);
    if (!s) return;
    if (s.headers === undefined) s.headers = list;
    else s.trailers = list;
    if (flags & Flag.END_STREAM) this.end(s, { kind: 'ended', headers: s.headers, trailers: s.trailers, chunks: s.chunks });
  }

  private onSettings(payload: Buffer): void {
    for (let at = 0; at + 6 <= payload.length; at += 6) {
      const key = payload.readUInt16BE(at);
      const value = payload.readUInt32BE(at + 2);
      if (key === Setting.INITIAL_WINDOW_SIZE) {
        if (value > MAX_WINDOW) return this.fail(ErrorCode.FLOW_CONTROL_ERROR, 'HTTP/2: SETTINGS_INITIAL_WINDOW_SIZE over 2^31-1');
        const delta = value - this.peerInitialWindow;
        this.peerInitialWindow = value;
        for (const s of this.streams.values()) s.sendWindow += delta;
      } else if (key === Setting.MAX_FRAME_SIZE) this.peerMaxFrame = value;
      else if (key === Setting.MAX_CONCURRENT_STREAMS) this.peerMaxStreams = value;
    }
    for (const s of [...this.blocked]) this.pump(s);
    while (this.waiting.length && this.streams.size < this.peerMaxStreams && this.usable) this.open(this.waiting.shift()!);
  }

  private onGoAway(lastStreamId: number, code: number): void {
    this.goingAway = true;
    this.opts.onUnusable(this);
    const message = `the server ended the connection (GOAWAY, code ${code})`;
    for (const s of [...this.streams.values()]) if (s.id > lastStreamId) this.end(s, { kind: 'refused', message });
    for (const s of this.waiting.splice(0)) s.done({ kind: 'refused', message });
    if (this.streams.size === 0) this.destroy(message);
  }
}

/** gRPC's message prefix: not compressed, then the length. */
function writeMessagePrefix(buf: Buffer, at: number, length: number): void {
  buf[at] = 0;
  buf.writeUInt32BE(length, at + 1);
}

function setting(key: number, value: number): Buffer {
  const b = Buffer.allocUnsafe(6);
  b.writeUInt16BE(key, 0);
  b.writeUInt32BE(value, 2);
  return b;
}
