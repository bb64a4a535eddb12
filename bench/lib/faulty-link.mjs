// A TCP link in front of the model server that the outage bench cuts: `refuse()` stops listening and resets
// open connections (what clients see when the model server is down), `restore()` listens again on the same
// port. (e2e/support/faulty-link.ts is the tests' version, which can also freeze the link.)
import net from 'node:net';

export class FaultyLink {
  #server = null;
  #sockets = new Set();
  #upstream = null;

  constructor(port) {
    this.port = port;
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  static async open() {
    const probe = net.createServer();
    await new Promise((r) => probe.listen(0, '127.0.0.1', r));
    const { port } = probe.address();
    await new Promise((r) => probe.close(r));
    const link = new FaultyLink(port);
    await link.#listen();
    return link;
  }

  pointAt(url) {
    const u = new URL(url);
    this.#upstream = { host: u.hostname, port: Number(u.port) };
  }

  async refuse() {
    const server = this.#server;
    this.#server = null;
    for (const s of this.#sockets) {
      if (!s.destroyed) s.resetAndDestroy();
    }
    this.#sockets.clear();
    if (server) await new Promise((r) => server.close(() => r()));
  }

  async restore() {
    if (!this.#server) await this.#listen();
  }

  close() {
    return this.refuse();
  }

  async #listen() {
    const server = net.createServer((client) => {
      if (!this.#upstream) return void client.destroy();
      const upstream = net.connect(this.#upstream.port, this.#upstream.host);
      for (const s of [client, upstream]) this.#sockets.add(s);
      const end = () => {
        client.destroy();
        upstream.destroy();
        this.#sockets.delete(client);
        this.#sockets.delete(upstream);
      };
      client.pipe(upstream);
      upstream.pipe(client);
      for (const s of [client, upstream]) {
        s.on('error', end);
        s.on('close', end);
      }
    });
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.#server = server;
  }
}
