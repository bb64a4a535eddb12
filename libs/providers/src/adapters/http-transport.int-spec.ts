import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { networkCodeOf } from '../error-mapping';
import { fastFetch } from '@margin/core';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

describe('fastFetch (the SDK clients’ transport)', () => {
  let server: Server;
  let base: string;
  let handler: Handler;

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => handler(req, body, res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends method, headers and body, and answers a whole Response with status and headers', async () => {
    handler = (req, body, res) => {
      res.writeHead(201, { 'content-type': 'application/json', 'x-ratelimit-remaining-requests': '7', 'set-cookie': ['a=1', 'b=2'] });
      res.end(JSON.stringify({ method: req.method, auth: req.headers['authorization'], type: req.headers['content-type'], body: JSON.parse(body) }));
    };
    const res = await fastFetch(`${base}/v1/chat`, {
      method: 'post',
      headers: new Headers({ Authorization: 'Bearer sk-1', 'Content-Type': 'application/json' }),
      body: JSON.stringify({ hello: 'world' }),
    });
    expect(res.status).toBe(201);
    expect(res.ok).toBe(true);
    expect(res.headers.get('x-ratelimit-remaining-requests')).toBe('7');
    expect(res.headers.get('set-cookie')).toContain('b=2');
    expect(await res.json()).toEqual({ method: 'POST', auth: 'Bearer sk-1', type: 'application/json', body: { hello: 'world' } });
  });

  it('hands event streams over as they arrive, not after the end', async () => {
    let finish: () => void = () => undefined;
    handler = (_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: one\n\n');
      finish = () => res.end('data: two\n\n');
    };
    const res = await fastFetch(`${base}/stream`, { method: 'POST', body: '{}' });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe('data: one\n\n');
    finish();
    let rest = '';
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value);
    expect(rest).toBe('data: two\n\n');
  });

  it('follows redirects, decodes gzip, and gives null-body statuses no body', async () => {
    handler = (req, _body, res) => {
      if (req.url === '/old') {
        res.writeHead(307, { location: '/new' });
        res.end();
      } else if (req.url === '/new') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
        res.end(gzipSync(JSON.stringify({ moved: true })));
      } else {
        res.writeHead(204);
        res.end();
      }
    };
    expect(await (await fastFetch(`${base}/old`)).json()).toEqual({ moved: true });
    const empty = await fastFetch(`${base}/nothing`, { method: 'DELETE' });
    expect(empty.status).toBe(204);
    expect(empty.body).toBeNull();
  });

  it('fails like fetch: TypeError "fetch failed" whose cause carries the network code', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const err = await fastFetch(`http://127.0.0.1:${port}/`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TypeError);
    expect((err as Error).message).toBe('fetch failed');
    expect(networkCodeOf(err)).toBe('ECONNREFUSED');
  });

  it('rejects with an AbortError when the signal fires before or during the call', async () => {
    handler = () => undefined; // never answers
    const already = AbortSignal.abort();
    await expect(fastFetch(`${base}/`, { signal: already })).rejects.toMatchObject({ name: 'AbortError' });
    const controller = new AbortController();
    const pending = fastFetch(`${base}/slow`, { method: 'POST', body: 'x', signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });
});
