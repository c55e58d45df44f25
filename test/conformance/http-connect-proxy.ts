/**
 * The HTTP CONNECT proxy the `client/http_proxy*` features tunnel through, behaving as the suite's
 * Go one (`harness/go/harness/httpproxy.go`): CONNECT only, basic auth `proxy-user:proxy-pass`
 * when a `Proxy-Authorization` header is sent, and a count of tunnels opened with and without it.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';

export class HttpConnectProxy {
  unauthedTunnels = 0;
  authedTunnels = 0;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<HttpConnectProxy> {
    const server = createServer((_req, res) => {
      res.writeHead(405).end('CONNECT only');
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const proxy = new HttpConnectProxy(server, `http://127.0.0.1:${port}`);
    server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => proxy.tunnel(req, client, head));
    return proxy;
  }

  private tunnel(req: IncomingMessage, client: Socket, head: Buffer): void {
    this.sockets.add(client);
    client.once('close', () => this.sockets.delete(client));
    client.on('error', () => client.destroy());
    const auth = req.headers['proxy-authorization'];
    if (auth !== undefined && Buffer.from(auth.replace(/^Basic /, ''), 'base64').toString() !== 'proxy-user:proxy-pass') {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\n\r\n');
      return;
    }
    const [host, port] = (req.url ?? '').split(':');
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection established\r\n\r\n');
      if (auth !== undefined) this.authedTunnels += 1;
      else this.unauthedTunnels += 1;
      if (head.length > 0) upstream.write(head);
      // Node's HTTP/2 client drops a connection whose server speaks first, so the client's first
      // packet goes upstream before the duplex pipe starts (the Go proxy waits the same way).
      client.once('data', (first: Buffer) => {
        upstream.write(first);
        client.pipe(upstream);
        upstream.pipe(client);
      });
    });
    this.sockets.add(upstream);
    upstream.once('close', () => {
      this.sockets.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n'));
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
