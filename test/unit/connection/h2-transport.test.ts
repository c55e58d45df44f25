/**
 * Our HTTP/2 client (core/connection/h2/) against an independent implementation, nghttp2 in a
 * `node:http2` server on loopback: header blocks as nghttp2 encodes them (Huffman, its dynamic
 * table), flow control both ways, the peer's stream limit, resets, GOAWAY and deadlines. The same
 * transport against the real Temporal server is test/e2e/connection/http2-transport.test.ts.
 */
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { status } from '@grpc/grpc-js';
import { Http2Transport } from '../../../core/connection/http2-transport.js';

type Handler = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, body: Buffer) => void;

const servers: http2.Http2Server[] = [];
const serverSessions: http2.ServerHttp2Session[] = [];
const transports: Http2Transport[] = [];
afterEach(async () => {
  for (const t of transports.splice(0)) t.close();
  // A node:http2 server keeps a session it sent GOAWAY on after the client has closed the socket.
  for (const s of serverSessions.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function serve(handler: Handler, settings: http2.Settings = {}): Promise<{ transport: Http2Transport; server: http2.Http2Server; sessions: http2.ServerHttp2Session[] }> {
  const server = http2.createServer({ settings });
  const sessions: http2.ServerHttp2Session[] = [];
  server.on('session', (s) => {
    sessions.push(s);
    serverSessions.push(s);
  });
  server.on('stream', (stream, headers) => {
    stream.on('error', () => undefined); // resets the tests provoke
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => handler(stream, headers, Buffer.concat(chunks)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  const transport = new Http2Transport({ address: `127.0.0.1:${(server.address() as AddressInfo).port}`, tls: false, headers: { 'x-meta': 'm1' }, maxReceiveMessageBytes: 64 * 1024 * 1024, keepaliveTimeMs: 30_000, keepaliveTimeoutMs: 15_000 });
  transports.push(transport);
  return { transport, server, sessions };
}

function u32(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

/** Answers with the request's message, after headers and before trailers as a gRPC server does. */
const echo =
  (extra: (headers: http2.IncomingHttpHeaders) => http2.OutgoingHttpHeaders = () => ({})): Handler =>
  (stream, headers, body) => {
    stream.respond({ ':status': 200, 'content-type': 'application/grpc', ...extra(headers) }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    stream.end(body);
  };

describe('Http2Transport on our HTTP/2 client', () => {
  it('sends the gRPC request headers and reads headers, message and trailers nghttp2 encodes', async () => {
    let seen: http2.IncomingHttpHeaders | undefined;
    const { transport } = await serve(
      echo((h) => {
        seen = h;
        // Response headers nghttp2 Huffman-codes and indexes; the next calls find them in its table.
        return { 'x-long': 'v'.repeat(3000), 'x-text': 'Hello, wörld? %20 done'.replace('ö', 'o'), 'x-repeat': ['a', 'b'] };
      }),
    );
    for (let i = 0; i < 20; i++) {
      const msg = Buffer.from(`message ${i}`);
      expect(await transport.unary('/pkg.Service/Method', msg, 5_000)).toEqual(msg);
    }
    expect(seen).toMatchObject({ ':method': 'POST', ':scheme': 'http', ':path': '/pkg.Service/Method', 'content-type': 'application/grpc', te: 'trailers', 'x-meta': 'm1', 'user-agent': 'tempo-worker-runtime' });
    expect(seen!['grpc-timeout']).toBe('5000m');
  });

  it('many header blocks through a small dynamic table, with evictions, all decode right', async () => {
    const values = Array.from({ length: 300 }, (_, i) => `value-${i}-${'x'.repeat(i % 97)}`);
    let i = 0;
    const { transport } = await serve((stream, _h, body) => {
      const v = values[i++]!;
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'x-v': v, [`x-name-${i % 7}`]: v }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'x-after': v }));
      stream.end(body);
    });
    // Sequential, so each answer's headers are in order; the value comes back as the message.
    for (const v of values) expect((await transport.unary('/s/m', Buffer.from(v), 5_000)).toString()).toBe(v);
  });

  it('a trailers-only error carries its status and percent-decoded message', async () => {
    const { transport } = await serve((stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': String(status.NOT_FOUND), 'grpc-message': encodeURIComponent('Namespace "x" not found: ünïcode') }, { endStream: true });
    });
    await expect(transport.unary('/s/m', Buffer.from('x'), 5_000)).rejects.toMatchObject({ code: status.NOT_FOUND, details: 'Namespace "x" not found: ünïcode' });
  });

  it('an HTTP error without a gRPC status maps as gRPC does', async () => {
    const { transport } = await serve((stream) => stream.respond({ ':status': 503 }, { endStream: true }));
    await expect(transport.unary('/s/m', Buffer.from('x'), 5_000)).rejects.toMatchObject({ code: status.UNAVAILABLE, details: 'HTTP status 503' });
  });

  it('large messages both ways: our flow control waits for the peer windows, and opens ours', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
    const huge = Buffer.alloc(40 * 1024 * 1024, 3); // beyond our 16 MiB stream and 32 MiB half connection window
    const { transport } = await serve((stream, _h, body) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(body.length > 1000 ? Buffer.concat([Buffer.from([0, ...u32(huge.length)]), huge]) : body);
    });
    const answer = await transport.unary('/s/m', big, 30_000);
    expect(answer.length).toBe(huge.length);
    expect(answer.equals(huge)).toBe(true);
    expect((await transport.unary('/s/m', Buffer.from('small'), 5_000)).toString()).toBe('small');
  });

  it('over the limit a stream is reset and the call fails RESOURCE_EXHAUSTED', async () => {
    const { transport: _unused, server } = await serve(echo());
    const port = (server.address() as AddressInfo).port;
    const small = new Http2Transport({ address: `127.0.0.1:${port}`, tls: false, headers: {}, maxReceiveMessageBytes: 1000, keepaliveTimeMs: 30_000, keepaliveTimeoutMs: 15_000 });
    transports.push(small);
    await expect(small.unary('/s/m', Buffer.alloc(5000), 5_000)).rejects.toMatchObject({ code: status.RESOURCE_EXHAUSTED, details: expect.stringMatching(/larger than max/) });
    expect((await small.unary('/s/m', Buffer.from('ok'), 5_000)).toString()).toBe('ok');
  });

  it("the peer's concurrent-stream limit: calls over it wait their turn", async () => {
    let open = 0;
    let most = 0;
    const { transport } = await serve(
      (stream, _h, body) => {
        most = Math.max(most, ++open);
        setTimeout(() => {
          open--;
          echo()(stream, _h, body);
        }, 30);
      },
      { maxConcurrentStreams: 2 },
    );
    await transport.unary('/s/m', Buffer.from('first'), 5_000); // the server's SETTINGS are in
    const answers = await Promise.all(Array.from({ length: 7 }, (_, i) => transport.unary('/s/m', Buffer.from(`m${i}`), 5_000)));
    expect(answers.map(String)).toEqual(Array.from({ length: 7 }, (_, i) => `m${i}`));
    expect(most).toBe(2);
  });

  it('a server reset maps to its gRPC code; a deadline cancels the stream at the server', async () => {
    let cancelledAtServer: Promise<number> | undefined;
    const { transport } = await serve((stream, headers) => {
      if (headers[':path'] === '/s/reset') return stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
      cancelledAtServer = new Promise((r) => stream.on('close', () => r(stream.rstCode)));
    });
    await expect(transport.unary('/s/reset', Buffer.from('x'), 5_000)).rejects.toMatchObject({ code: status.UNAVAILABLE });
    await expect(transport.unary('/s/hang', Buffer.from('x'), 200)).rejects.toMatchObject({ code: status.DEADLINE_EXCEEDED });
    expect(await cancelledAtServer).toBe(http2.constants.NGHTTP2_CANCEL);
    const abort = new AbortController();
    const pending = transport.unary('/s/hang', Buffer.from('x'), 5_000, abort.signal);
    setTimeout(() => abort.abort(), 50);
    await expect(pending).rejects.toMatchObject({ code: status.CANCELLED });
  });

  it('GOAWAY: the open call finishes, the next goes on a new connection', async () => {
    let held: (() => void) | undefined;
    const { transport, sessions } = await serve((stream, headers, body) => {
      if (headers[':path'] === '/s/slow') held = () => echo()(stream, headers, body);
      else echo()(stream, headers, body);
    });
    const slow = transport.unary('/s/slow', Buffer.from('slow'), 5_000);
    await new Promise((r) => setTimeout(r, 100));
    sessions[0]!.goaway(http2.constants.NGHTTP2_NO_ERROR, 1); // stream 1 (slow) is taken
    await new Promise((r) => setTimeout(r, 50));
    expect((await transport.unary('/s/fast', Buffer.from('after'), 5_000)).toString()).toBe('after');
    held!();
    expect((await slow).toString()).toBe('slow');

    expect(sessions.length).toBe(2);
  });

  it('a server that goes away fails open calls UNAVAILABLE; close() ends them CANCELLED', async () => {
    const { transport, sessions } = await serve(() => undefined);
    const pending = transport.unary('/s/hang', Buffer.from('x'), 5_000);
    await new Promise((r) => setTimeout(r, 100));
    sessions[0]!.destroy();
    await expect(pending).rejects.toMatchObject({ code: status.UNAVAILABLE });
    const second = transport.unary('/s/hang', Buffer.from('x'), 5_000);
    await new Promise((r) => setTimeout(r, 100));
    transport.close();
    await expect(second).rejects.toMatchObject({ code: status.CANCELLED });
    await expect(transport.unary('/s/m', Buffer.from('x'), 5_000)).rejects.toMatchObject({ code: status.UNAVAILABLE, details: 'the connection is closed' });
  });

  it('an address with nothing listening fails UNAVAILABLE', async () => {
    const t = new Http2Transport({ address: '127.0.0.1:1', tls: false, headers: {}, maxReceiveMessageBytes: 1000, keepaliveTimeMs: 30_000, keepaliveTimeoutMs: 15_000 });
    transports.push(t);
    await expect(t.unary('/s/m', Buffer.from('x'), 5_000)).rejects.toMatchObject({ code: status.UNAVAILABLE, details: expect.stringContaining('ECONNREFUSED') });
  });
});
