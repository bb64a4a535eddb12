// A TCP link between Margin and its model server that a test can cut: `refuse()` stops listening (new
// connections are refused, open ones reset, as when the model server is down), `freeze()` keeps connections
// open but passes nothing either way (a hung server), `restore()` brings it back on the same port.
import net from 'node:net';

interface Pair {
  client: net.Socket;
  upstream: net.Socket | null;
  /** Bytes held while frozen, per direction. */
  toUpstream: Buffer[];
  toClient: Buffer[];
}

export class FaultyLink {
  private server: net.Server | null = null;
  private readonly pairs = new Set<Pair>();
  private frozen = false;
  /** Where connections go (set once the model server is up). */
  upstream: { host: string; port: number } | null = null;

  private constructor(readonly port: number) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Opens the link on a free port (passes nothing until `upstream` is set). */
  static async open(): Promise<FaultyLink> {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const { port } = probe.address() as net.AddressInfo;
    await new Promise<void>((r) => probe.close(() => r()));
    const link = new FaultyLink(port);
    await link.listen();
    return link;
  }

  pointAt(url: string): void {
    const u = new URL(url);
    this.upstream = { host: u.hostname, port: Number(u.port) };
  }

  /** The model server goes away: nothing listens on the port, open connections are reset. */
  async refuse(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const p of this.pairs) {
      p.client.resetAndDestroy();
      p.upstream?.destroy();
    }
    this.pairs.clear();
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }

  /** The model server hangs: connections stay open (new ones are accepted) but nothing passes. */
  freeze(): void {
    this.frozen = true;
  }

  /** Back to normal: listening again on the same port, and anything held while frozen passes on. */
  async restore(): Promise<void> {
    this.frozen = false;
    for (const p of this.pairs) {
      for (const b of p.toClient.splice(0)) p.client.write(b);
      for (const b of p.toUpstream.splice(0)) this.send(p, b);
    }
    if (!this.server) await this.listen();
  }

  async close(): Promise<void> {
    await this.refuse();
  }

  private async listen(): Promise<void> {
    const server = net.createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }

  private accept(client: net.Socket): void {
    if (!this.upstream) return void client.destroy();
    const pair: Pair = { client, upstream: null, toUpstream: [], toClient: [] };
    this.pairs.add(pair);
    client.on('data', (b: Buffer) => (this.frozen ? pair.toUpstream.push(b) : this.send(pair, b)));
    const end = () => {
      this.pairs.delete(pair);
      client.destroy();
      pair.upstream?.destroy();
    };
    client.on('error', end);
    client.on('close', end);
  }

  /** To the model server, on the pair's connection (opened on first use, again after it closed while frozen). */
  private send(pair: Pair, b: Buffer): void {
    if (!pair.upstream) {
      const target = this.upstream;
      if (!target) return void pair.client.destroy();
      const upstream = net.connect(target.port, target.host);
      pair.upstream = upstream;
      upstream.on('data', (d: Buffer) => (this.frozen ? pair.toClient.push(d) : pair.client.write(d)));
      const gone = () => {
        if (pair.upstream === upstream) pair.upstream = null;
        // A hung server keeps its clients waiting: an upstream closing meanwhile (its idle timeout) is not seen.
        if (!this.frozen) pair.client.destroy();
      };
      upstream.on('error', gone);
      upstream.on('close', gone);
    }
    pair.upstream.write(b);
  }
}
