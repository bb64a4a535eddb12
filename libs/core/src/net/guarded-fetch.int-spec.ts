import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { guardedFetch } from './http-transport';
import { OutboundPolicy } from './outbound-policy';

describe('guardedFetch (user-given URLs)', () => {
  let server: Server;
  let url: string;
  let hits = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      hits++;
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ method: req.method, body, auth: req.headers['authorization'] ?? null }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  const refused = (err: unknown) => ((err as Error).cause as { code?: string } | undefined)?.code;

  it('refuses a loopback URL the policy does not allow, whatever form the request takes (string, Request object, stream body)', async () => {
    const strict = guardedFetch(new OutboundPolicy({ allowLoopback: false, allowPrivate: false, allowHosts: [] }));
    const before = hits;
    expect(refused(await strict(url).catch((e: unknown) => e))).toBe('EOUTBOUNDREFUSED');
    expect(refused(await strict(new Request(url, { method: 'POST', body: 'x' })).catch((e: unknown) => e))).toBe('EOUTBOUNDREFUSED');
    const stream = new ReadableStream({ start: (c) => (c.enqueue(new TextEncoder().encode('streamed')), c.close()) });
    expect(refused(await strict(url, { method: 'POST', body: stream, duplex: 'half' } as RequestInit).catch((e: unknown) => e))).toBe('EOUTBOUNDREFUSED');
    expect(hits).toBe(before);
  });

  it('sends a Request object (method, headers, body) where the policy allows it', async () => {
    const open = guardedFetch(new OutboundPolicy({ allowLoopback: true, allowPrivate: false, allowHosts: [] }));
    const res = await open(new Request(url, { method: 'PUT', headers: { authorization: 'Bearer t' }, body: '{"a":1}' }));
    expect(await res.json()).toEqual({ method: 'PUT', body: '{"a":1}', auth: 'Bearer t' });
  });
});
