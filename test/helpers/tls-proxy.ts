import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';

/** A test CA with a server certificate for 127.0.0.1/localhost and a client certificate, all PEM. */
export async function testCertificates(): Promise<{ ca: string; serverCert: string; serverKey: string; clientCert: string; clientKey: string }> {
  const ca = await generate([{ name: 'commonName', value: 'tempo test CA' }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const leaf = await generate([{ name: 'commonName', value: 'localhost' }], {
    keySize: 2048,
    algorithm: 'sha256',
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] },
    ],
  });
  const client = await generate([{ name: 'commonName', value: 'tempo test client' }], {
    keySize: 2048,
    algorithm: 'sha256',
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', clientAuth: true },
    ],
  });
  return { ca: ca.cert, serverCert: leaf.cert, serverKey: leaf.private, clientCert: client.cert, clientKey: client.private };
}

const HOP_HEADERS = new Set([':authority', ':scheme', 'connection', 'host']);

/**
 * A TLS front for the plaintext dev server, which has no TLS option of its own: terminates TLS
 * (optionally demanding a client certificate signed by `ca`, and a bearer API key), then forwards
 * each gRPC stream over HTTP/2 to `upstream`, trailers included. Loopback only.
 */
export async function startTlsProxy(opts: {
  upstream: string;
  cert: string;
  key: string;
  ca?: string;
  requireClientCert?: boolean;
  apiKey?: string;
}): Promise<{ address: string; close: () => Promise<void>; seenAuthorization: string[] }> {
  const client = http2.connect(`http://${opts.upstream}`);
  const seenAuthorization: string[] = [];
  const server = http2.createSecureServer({
    cert: opts.cert,
    key: opts.key,
    ca: opts.ca,
    requestCert: opts.requireClientCert ?? false,
    rejectUnauthorized: opts.requireClientCert ?? false,
  });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  server.on('stream', (stream, headers) => {
    const auth = headers.authorization;
    if (typeof auth === 'string') seenAuthorization.push(auth);
    if (opts.apiKey && auth !== `Bearer ${opts.apiKey}`) {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '16', 'grpc-message': 'missing or wrong API key' }, { endStream: true });
      return;
    }
    const forwarded: http2.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(headers)) if (!HOP_HEADERS.has(k) && v !== undefined) forwarded[k] = v;
    const up = client.request(forwarded);
    stream.pipe(up);
    up.on('response', (h) => {
      const out: http2.OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(h)) if (k !== 'connection' && v !== undefined) out[k] = v;
      stream.respond(out, { waitForTrailers: true });
      up.pipe(stream);
    });
    let trailers: http2.IncomingHttpHeaders = {};
    up.on('trailers', (t) => (trailers = t));
    stream.on('wantTrailers', () => {
      const out: http2.OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(trailers)) if (v !== undefined) out[k] = v;
      stream.sendTrailers(out);
    });
    up.on('error', () => stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR));
    stream.on('close', () => up.close());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    seenAuthorization,
    close: async () => {
      client.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sessions) s.close();
      });
    },
  };
}
