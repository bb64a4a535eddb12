import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FaultKind, Protocol, ResolvedModel } from './config';
import { generate, promptTokensOf, splitPieces, type Generation, type GenerationRequest } from './engine';
import { header, numericHeader, sendJson, sleep, type HeaderMap } from './http-util';
import { AbortedError, QueueFullError, type RateDecision } from './rate-limit';
import { LATENCY_HEADER, TPS_HEADER, type Runtime } from './runtime';
import { CHARS_PER_TOKEN } from './tokens';

/** Marks a batch line's loopback request (batches.ts): served outside the live rate limits. */
export const BATCH_LINE_HEADER = 'x-emulator-batch';

export type ErrorKind = 'invalid_request' | 'authentication' | 'permission' | 'not_found' | 'rate_limit' | 'server' | 'overloaded' | 'context_length';

export interface ErrorDetail {
  code?: string | null;
  param?: string | null;
  /** protocol-specific override of the error type */
  type?: string;
}

/** What differs between the three wire protocols, outside of the response bodies. */
export interface ProtocolSpec {
  name: Protocol;
  error(kind: ErrorKind, message: string, detail?: ErrorDetail): { status: number; body: unknown };
  rateLimitHeaders(decision: Pick<RateDecision, 'requests' | 'tokens'>): HeaderMap;
  requestIdHeaders(): HeaderMap;
}

export function sendError(res: ServerResponse, spec: ProtocolSpec, kind: ErrorKind, message: string, detail?: ErrorDetail, headers: HeaderMap = {}): void {
  const { status, body } = spec.error(kind, message, detail);
  sendJson(res, status, body, { ...spec.requestIdHeaders(), ...headers });
}

export function randomId(prefix: string, length = 24): string {
  return `${prefix}${randomBytes(Math.ceil(length / 2))
    .toString('hex')
    .slice(0, length)}`;
}

export interface Timing {
  /** ms timestamps (performance.now) */
  receivedAt: number;
  slotAt: number;
  firstTokenAt: number;
  endAt: number;
}

/** Renders one protocol's answer (non-streaming body, or streaming events). */
export interface Renderer {
  body(g: Generation, t: Timing): unknown;
  streamContentType: string;
  /** events sent as soon as the answer starts (before the first token) */
  streamHead(g: Generation): string;
  /** the event carrying one piece of output */
  streamPiece(piece: string, g: Generation): string;
  /** the final events (finish reason, usage, end marker) */
  streamTail(g: Generation, t: Timing): string;
}

export interface CompletionJob {
  spec: ProtocolSpec;
  req: IncomingMessage;
  res: ServerResponse;
  model: ResolvedModel;
  gen: GenerationRequest;
  stream: boolean;
  fault: FaultKind | undefined;
  renderer: Renderer;
  /** when the prompt exceeds the context window: reject (OpenAI, Anthropic) or truncate silently (Ollama) */
  onContextOverflow: 'reject' | 'truncate';
  /** per-protocol hook run once the generation is known (prompt-cache accounting) */
  beforeRender?: (g: Generation) => void;
  receivedAt: number;
}

/** AbortSignal that fires when the client goes away before the response is complete. */
export function clientGone(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}

export function retryAfterHeaders(ms: number): HeaderMap {
  return { 'retry-after': String(Math.max(1, Math.ceil(ms / 1000))), 'retry-after-ms': String(Math.max(1, Math.ceil(ms))) };
}

/** Admission (context, rate limits, faults, slots), then the (paced) answer. */
export async function runCompletion(rt: Runtime, job: CompletionJob): Promise<void> {
  const { spec, req, res, model, gen, renderer } = job;
  const stats = rt.stats(model.name);
  stats.requests++;
  const signal = clientGone(res);
  const fail = (status: number): void => {
    stats.failed++;
    stats.errors[String(status)] = (stats.errors[String(status)] ?? 0) + 1;
  };
  if (job.fault) stats.faults[job.fault] = (stats.faults[job.fault] ?? 0) + 1;

  const promptTokens = promptTokensOf(gen);
  if (promptTokens > model.contextWindow && job.onContextOverflow === 'reject') {
    fail(400);
    return sendError(
      res,
      spec,
      'context_length',
      spec.name === 'anthropic'
        ? `prompt is too long: ${promptTokens} tokens > ${model.contextWindow} maximum`
        : `This model's maximum context length is ${model.contextWindow} tokens. However, your messages resulted in ${promptTokens} tokens. Please reduce the length of the messages.`,
      { code: 'context_length_exceeded', param: 'messages' },
    );
  }

  // --- rate limits
  const limiter = rt.limiter(model);
  const estimate = promptTokens + (gen.maxTokens ?? model.completionTokens.max);
  let decision: RateDecision;
  if (job.fault === '429') {
    // forced: report an exhausted request bucket (synthetic limits when the model has none)
    const snap = limiter.snapshot();
    const requests = snap.requests ?? { limit: model.rpm > 0 ? model.rpm : 60, remaining: 0, resetMs: 1000 };
    const tokens = snap.tokens ?? { limit: model.tpm > 0 ? model.tpm : 1_000_000, remaining: model.tpm > 0 ? model.tpm : 1_000_000, resetMs: 0 };
    decision = {
      allowed: false,
      limitedBy: 'requests',
      retryAfterMs: 1000,
      requests: { ...requests, remaining: 0, resetMs: Math.max(requests.resetMs, 1000) },
      tokens,
    };
  } else if (header(req, BATCH_LINE_HEADER) !== undefined) {
    // a batch line (see batches.ts): the deferred tier has its own queue, not the live RPM/TPM buckets
    decision = { allowed: true, retryAfterMs: 0 };
  } else decision = limiter.tryAcquire(estimate);
  const rateHeaders = limiter.limited || job.fault === '429' ? spec.rateLimitHeaders(decision) : {};
  if (!decision.allowed) {
    fail(429);
    const what = decision.limitedBy === 'tokens' ? 'tokens' : 'requests';
    const limit = what === 'tokens' ? decision.tokens?.limit : decision.requests?.limit;
    const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
    const message = decision.tooLarge
      ? `Request too large for ${model.name} on tokens per min (TPM): Limit ${limit ?? 0}, Requested ${estimate}. The input or output tokens must be reduced in order to run successfully.`
      : `Rate limit reached for ${model.name} on ${what} per min (${what === 'tokens' ? 'TPM' : 'RPM'}): Limit ${limit ?? 'n/a'}. Please try again in ${seconds}s.`;
    return sendError(
      res,
      spec,
      'rate_limit',
      message,
      { code: 'rate_limit_exceeded', type: what },
      { ...rateHeaders, ...retryAfterHeaders(decision.retryAfterMs) },
    );
  }
  let settled = false;
  const batchLine = header(req, BATCH_LINE_HEADER) !== undefined;
  const settle = (actual: number): void => {
    if (settled) return;
    settled = true;
    if (job.fault !== '429' && !batchLine) limiter.settle(estimate, actual);
  };

  // --- server-side faults
  if (job.fault === '500') {
    fail(500);
    settle(promptTokens);
    return sendError(
      res,
      spec,
      'server',
      'The server had an error while processing your request. Sorry about that! (emulated fault)',
      { code: null },
      rateHeaders,
    );
  }
  if (job.fault === '503') {
    fail(503);
    settle(0);
    return sendError(res, spec, 'overloaded', 'The server is overloaded or not ready yet. (emulated fault)', { code: null }, rateHeaders);
  }
  if (job.fault === 'hang') {
    // never answer; the socket is released when the client gives up (or the emulator closes)
    res.on('close', () => settle(0));
    return;
  }

  // --- parallel slots
  let release: () => void;
  try {
    release = await rt.slots(model).acquire(signal);
  } catch (e) {
    settle(0);
    if (e instanceof QueueFullError) {
      fail(503);
      return sendError(res, spec, 'overloaded', e.message, { code: null }, rateHeaders);
    }
    if (e instanceof AbortedError) return;
    throw e;
  }

  const slotAt = performance.now();
  try {
    const contentFault = job.fault === 'malformed-json' || job.fault === 'schema-violation' ? job.fault : undefined;
    const g = generate(gen, model, contentFault);
    if (job.onContextOverflow === 'truncate') g.promptTokens = Math.min(g.promptTokens, model.contextWindow);
    job.beforeRender?.(g);
    const scale = rt.config.timeScale;
    const latencyMs = numericHeader(req, LATENCY_HEADER) ?? model.latencyMs * scale;
    const tpsHeader = numericHeader(req, TPS_HEADER);
    // tps 0 = instant; timeScale 0 makes every configured speed instant
    const tps = tpsHeader ?? (scale === 0 || model.tokensPerSecond === 0 ? 0 : model.tokensPerSecond / scale);
    const headers = { ...spec.requestIdHeaders(), ...rateHeaders };
    const cut = job.fault === 'stream-cut';
    if (job.stream) await streamAnswer(res, renderer, g, { latencyMs, tps, cut, signal, headers, receivedAt: job.receivedAt, slotAt });
    else await plainAnswer(res, renderer, g, { latencyMs, tps, cut, signal, headers, receivedAt: job.receivedAt, slotAt });
    if (cut) {
      stats.failed++;
      stats.errors['stream-cut'] = (stats.errors['stream-cut'] ?? 0) + 1;
    } else {
      stats.completed++;
      stats.promptTokens += g.promptTokens;
      stats.completionTokens += g.completionTokens;
    }
    settle(g.promptTokens + g.completionTokens);
  } catch (e) {
    settle(0);
    if (!(e instanceof AbortedError)) throw e;
  } finally {
    release();
  }
}

interface AnswerOptions {
  latencyMs: number;
  tps: number;
  cut: boolean;
  signal: AbortSignal;
  headers: HeaderMap;
  receivedAt: number;
  slotAt: number;
}

function generationMs(tokens: number, tps: number): number {
  return tps > 0 ? (tokens / tps) * 1000 : 0;
}

async function plainAnswer(res: ServerResponse, renderer: Renderer, g: Generation, o: AnswerOptions): Promise<void> {
  await sleep(o.latencyMs, o.signal);
  const firstTokenAt = performance.now();
  await sleep(generationMs(g.completionTokens, o.tps), o.signal);
  const body = JSON.stringify(renderer.body(g, { receivedAt: o.receivedAt, slotAt: o.slotAt, firstTokenAt, endAt: performance.now() }));
  if (res.destroyed) return;
  if (o.cut) {
    // announce the full body, send half of it, then drop the connection
    res.writeHead(200, { ...o.headers, 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(body)) });
    res.write(body.slice(0, Math.floor(body.length / 2)));
    await sleep(5);
    res.destroy();
    return;
  }
  sendJson(res, 200, JSON.parse(body) as unknown, o.headers);
}

async function streamAnswer(res: ServerResponse, renderer: Renderer, g: Generation, o: AnswerOptions): Promise<void> {
  if (res.destroyed) return;
  res.writeHead(200, {
    ...o.headers,
    'content-type': renderer.streamContentType,
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  res.flushHeaders();
  res.write(renderer.streamHead(g));
  await sleep(o.latencyMs, o.signal);
  const firstTokenAt = performance.now();
  const pieces = splitPieces(g.text);
  const cutAt = o.cut ? Math.floor(pieces.length / 2) : -1;
  const startTokens = g.reasoningTokens;
  let buffer = '';
  let chars = 0;
  if (startTokens > 0) await sleep(generationMs(startTokens, o.tps), o.signal);
  const genStart = performance.now();
  for (const [i, piece] of pieces.entries()) {
    if (i === cutAt) break;
    buffer += renderer.streamPiece(piece, g);
    chars += piece.length;
    if (o.tps > 0) {
      const due = genStart + generationMs(chars / CHARS_PER_TOKEN, o.tps);
      const wait = due - performance.now();
      if (wait > 15) {
        res.write(buffer);
        buffer = '';
        await sleep(wait, o.signal);
      }
    }
  }
  if (buffer) res.write(buffer);
  if (o.cut) {
    // drop the connection without the final event / usage
    await sleep(5);
    res.destroy();
    return;
  }
  res.end(renderer.streamTail(g, { receivedAt: o.receivedAt, slotAt: o.slotAt, firstTokenAt, endAt: performance.now() }));
}
