// The HTTP transport under the SDK clients (openai, @anthropic-ai/sdk, ollama): a `fetch` built on undici's
// `request` over one keep-alive connection pool per process.
//
// Node's global fetch is the same undici underneath, but its WHATWG layers (Request/Headers objects, body
// streams, per-request abort plumbing) cost about a millisecond of CPU per call — more than everything else
// Margin does around a call (see bench/README.md, gateway). The SDKs only need a function with fetch's shape,
// so they keep all their own behaviour (request building, SSE parsing, typed errors) on a cheaper transport.
//
// Behaves as fetch does where the SDKs can tell: network failures before the answer are
// `TypeError('fetch failed', { cause })` (the cause keeps undici's code, e.g. ECONNREFUSED or UND_ERR_SOCKET,
// which error-mapping.ts reads); a body cut after the headers fails while the SDK reads it (`TypeError
// 'terminated'`), so a cut answer is still told apart from an unreachable host; an aborted signal rejects with
// an `AbortError`; redirects are followed; gzip/deflate/br bodies are decoded. Event streams (SSE, NDJSON)
// stay streams; any other body is read whole before the Response is handed back, which is what the SDKs do
// with it next anyway. Request bodies that are not a string or bytes (FormData, streams) and Request objects
// go to the global fetch unchanged.
import { Readable, type Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { OutboundPolicy } from './outbound-policy';
import { Agent, interceptors, request, type Dispatcher } from 'undici';

/** Deadlines are ours (CallOptions.timeoutMs, via the signal); these only stop a connection that hangs forever. */
const IDLE_LIMIT_MS = 15 * 60_000;
const STREAMING_TYPES = /event-stream|ndjson|jsonl|stream\+json/i;
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

let shared: Dispatcher | undefined;
function dispatcher(): Dispatcher {
  shared ??= new Agent({ keepAliveTimeout: 30_000, headersTimeout: IDLE_LIMIT_MS, bodyTimeout: IDLE_LIMIT_MS }).compose(
    interceptors.redirect({ maxRedirections: 5 }),
  );
  return shared;
}

type HeaderInit = ConstructorParameters<typeof Headers>[0];

function plainHeaders(init: HeaderInit | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!init) return out;
  if (init instanceof Headers) init.forEach((v, k) => (out[k] = v));
  else if (Array.isArray(init)) for (const [k, v] of init) out[k.toLowerCase()] = v as string;
  else for (const [k, v] of Object.entries(init)) if (v !== undefined && v !== null) out[k.toLowerCase()] = String(v);
  return out;
}

function responseHeaders(raw: Record<string, string | string[] | undefined>): Headers {
  const headers = new Headers();
  for (const [k, v] of Object.entries(raw)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const item of v) headers.append(k, item);
    else headers.set(k, v);
  }
  return headers;
}

function abortError(signal: AbortSignal): unknown {
  const reason: unknown = signal.reason;
  return reason instanceof Error && reason.name === 'AbortError' ? reason : new DOMException('This operation was aborted', 'AbortError');
}

const DECODERS: Record<string, () => Transform> = { gzip: createGunzip, 'x-gzip': createGunzip, deflate: createInflate, br: createBrotliDecompress };

/** The body as the SDK should see it: decoded when the server compressed it (fetch does the same). */
function decoded(body: Readable, headers: Headers): Readable {
  const encoding = headers.get('content-encoding')?.trim().toLowerCase();
  const decoder = encoding ? DECODERS[encoding] : undefined;
  if (!decoder) return body;
  headers.delete('content-encoding');
  headers.delete('content-length');
  const out = decoder();
  body.on('error', (err) => out.destroy(err));
  return body.pipe(out);
}

/** A body that fails when read, as fetch's does when the connection drops after the headers. */
function failingBody(err: unknown): ReadableStream<Uint8Array> {
  return new ReadableStream({ start: (c) => c.error(new TypeError('terminated', { cause: err })) });
}

async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
}

const passesThrough = (body: unknown): body is string | Uint8Array | undefined | null =>
  body === undefined || body === null || typeof body === 'string' || body instanceof Uint8Array;

/** A `fetch` over `pool`; `refuse` may stop a request before it is sent (a reason, as a network failure). */
function fetchOver(pool: () => Dispatcher, refuse?: (url: URL) => string | null): typeof fetch {
  const send: typeof fetch = async (input, init) => {
    if ((typeof input !== 'string' && !(input instanceof URL)) || !passesThrough(init?.body)) {
      // Without a guard the global fetch serves these as they are; a guarded fetch must never hand a request
      // to a transport that skips the policy, so it reads it into a URL and bytes first (SDKs such as
      // @atproto/api pass Request objects).
      if (!refuse) return fetch(input, init);
      const req = new Request(input, init);
      const body = req.body ? new Uint8Array(await req.arrayBuffer()) : null;
      return send(req.url, { method: req.method, headers: req.headers, body, signal: init?.signal ?? req.signal });
    }
    const signal = init?.signal ?? undefined;
    if (signal?.aborted) throw abortError(signal);
    const why = refuse?.(new URL(input));
    if (why) throw new TypeError('fetch failed', { cause: Object.assign(new Error(why), { code: 'EOUTBOUNDREFUSED' }) });
    let res: Dispatcher.ResponseData;
    try {
      res = await request(input, {
        method: (init?.method ?? 'GET').toUpperCase() as Dispatcher.HttpMethod,
        headers: plainHeaders(init?.headers as HeaderInit | undefined),
        body: (init?.body as string | Uint8Array | null | undefined) ?? null,
        signal,
        dispatcher: pool(),
      });
    } catch (err) {
      if (signal?.aborted) throw abortError(signal);
      throw new TypeError('fetch failed', { cause: err });
    }
    return toResponse(res, init, signal);
  };
  return send;
}

/** A `fetch` for SDK clients on undici's pooled `request` (see the file comment). */
export const fastFetch: typeof fetch = fetchOver(dispatcher);

/**
 * fastFetch for URLs that an admin gave (not the operator's environment): each connection goes only where the
 * outbound policy allows — literal addresses checked before sending, host names at DNS time (so a name cannot
 * resolve its way to a private address), and no redirects (a redirect could point anywhere).
 */
export function guardedFetch(policy: OutboundPolicy): typeof fetch {
  let pool: Dispatcher | undefined;
  const lookup = policy.connectLookup();
  return fetchOver(
    () => (pool ??= new Agent({ keepAliveTimeout: 30_000, headersTimeout: IDLE_LIMIT_MS, bodyTimeout: IDLE_LIMIT_MS, connect: { lookup } })),
    (url) => policy.refusal(url.toString()),
  );
}

async function toResponse(res: Dispatcher.ResponseData, init: RequestInit | undefined, signal: AbortSignal | undefined): Promise<Response> {
  const headers = responseHeaders(res.headers);
  const status = res.statusCode;
  if (NULL_BODY_STATUSES.has(status) || init?.method?.toUpperCase() === 'HEAD') {
    res.body.resume();
    return new Response(null, { status, headers });
  }
  const body = decoded(res.body, headers);
  if (STREAMING_TYPES.test(headers.get('content-type') ?? '')) {
    return new Response(Readable.toWeb(body) as ReadableStream<Uint8Array>, { status, headers });
  }
  try {
    const bytes = await readAll(body);
    return new Response(new Uint8Array(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength), { status, headers });
  } catch (err) {
    if (signal?.aborted) throw abortError(signal);
    return new Response(failingBody(err), { status, headers });
  }
}
