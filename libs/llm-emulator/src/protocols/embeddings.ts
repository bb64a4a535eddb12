// Embeddings, as OpenAI (`POST /v1/embeddings`) and Ollama (`POST /api/embed`) serve them: deterministic unit
// vectors (the same text and model always give the same vector, so tests can compare them), OpenAI's
// `dimensions` (a shortened, re-normalized vector) and `encoding_format: base64` (little-endian float32).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson, sleep } from '../http-util';
import { clientGone, retryAfterHeaders, sendError, type ProtocolSpec } from '../pipeline';
import { createRng } from '../rng';
import type { Runtime } from '../runtime';
import { countTokens } from '../tokens';
import type { FaultKind } from '../config';
import { asNumber, asString, authorize, isRecord } from './common';
import { ollamaSpec } from './ollama';
import { openaiAuthorize, openaiSpec } from './openai';

export interface EmbeddingModel {
  name: string;
  /** The vector length the model gives when no `dimensions` is asked for. */
  dimensions: number;
  /** Whether `dimensions` may shorten the vector (OpenAI's text-embedding-3 family, Matryoshka-trained models). */
  shortens: boolean;
  /** Longest input, in tokens. */
  maxInputTokens: number;
}

export const EMBEDDING_MODELS: readonly EmbeddingModel[] = [
  { name: 'text-embedding-3-small', dimensions: 1536, shortens: true, maxInputTokens: 8191 },
  { name: 'text-embedding-3-large', dimensions: 3072, shortens: true, maxInputTokens: 8191 },
  { name: 'text-embedding-ada-002', dimensions: 1536, shortens: false, maxInputTokens: 8191 },
  { name: 'nomic-embed-text', dimensions: 768, shortens: true, maxInputTokens: 8192 },
  { name: 'mxbai-embed-large', dimensions: 1024, shortens: false, maxInputTokens: 512 },
];

/** Longest input list OpenAI accepts in one request. */
export const MAX_EMBEDDING_INPUTS = 2048;
/** What one embeddings call takes before answering (scaled by the emulator's timeScale). */
const EMBEDDING_LATENCY_MS = 20;

export function findEmbeddingModel(name: string): EmbeddingModel | undefined {
  const bare = name.endsWith(':latest') ? name.slice(0, -7) : name;
  return EMBEDDING_MODELS.find((m) => m.name === bare);
}

/** The model's vector for a text: seeded by both, Gaussian-ish components, unit length; shortened then re-normalized. */
export function embeddingVector(model: EmbeddingModel, text: string, dimensions = model.dimensions): number[] {
  const rng = createRng(`embedding:${model.name}:${text}`);
  const full: number[] = [];
  for (let i = 0; i < model.dimensions; i++) full.push(rng.next() + rng.next() + rng.next() - 1.5);
  const v = full.slice(0, dimensions);
  const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0)) || 1;
  // float32 precision, as the providers send them
  return v.map((x) => Math.fround(x / norm));
}

export function base64Vector(vector: readonly number[]): string {
  const buf = Buffer.alloc(vector.length * 4);
  vector.forEach((x, i) => buf.writeFloatLE(x, i * 4));
  return buf.toString('base64');
}

type Parsed = { ok: true; inputs: string[] } | { ok: false; message: string; param: string };

function parseInputs(raw: unknown, param: string): Parsed {
  const list = typeof raw === 'string' ? [raw] : raw;
  if (!Array.isArray(list) || list.length === 0) return { ok: false, message: `'${param}' must be a non-empty string or array of strings`, param };
  if (list.length > MAX_EMBEDDING_INPUTS) return { ok: false, message: `'${param}' may hold at most ${MAX_EMBEDDING_INPUTS} items`, param };
  const inputs: string[] = [];
  for (const [i, item] of list.entries()) {
    // token arrays (OpenAI accepts them) are read as the tokens' decimal text: deterministic, counted as one token each
    if (Array.isArray(item) && item.every((t) => Number.isInteger(t))) inputs.push((item as number[]).join(' '));
    else if (typeof item === 'string' && item.length > 0) inputs.push(item);
    else return { ok: false, message: `'${param}[${i}]' must be a non-empty string`, param: `${param}[${i}]` };
  }
  return { ok: true, inputs };
}

/** The injected fault, answered as the protocol answers it; true when a fault took the request. */
async function answeredFault(fault: FaultKind | undefined, spec: ProtocolSpec, res: ServerResponse, model: string): Promise<boolean> {
  switch (fault) {
    case '429':
      sendError(
        res,
        spec,
        'rate_limit',
        `Rate limit reached for ${model} on requests per min (RPM). Please try again in 1s.`,
        { code: 'rate_limit_exceeded' },
        retryAfterHeaders(1000),
      );
      return true;
    case '500':
      sendError(res, spec, 'server', 'The server had an error while processing your request. Sorry about that!');
      return true;
    case '503':
      sendError(res, spec, 'overloaded', 'The engine is currently overloaded, please try again later', {}, retryAfterHeaders(1000));
      return true;
    case 'hang':
      await sleep(60 * 60_000, clientGone(res)).catch(() => undefined);
      if (!res.writableEnded) res.destroy();
      return true;
    case 'malformed-json':
      // a 200 whose body is cut short: the client's JSON parse fails
      res.writeHead(200, { 'content-type': 'application/json', ...spec.requestIdHeaders() });
      res.end('{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.01');
      return true;
    case 'stream-cut':
      res.writeHead(200, { 'content-type': 'application/json', ...spec.requestIdHeaders() });
      res.write('{"object":"list","data":[');
      res.destroy();
      return true;
    // 401 is answered by the key check; there is no schema to violate
    case '401':
    case 'schema-violation':
    case undefined:
      return false;
  }
}

export async function openaiEmbeddings(rt: Runtime, req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
  const spec = openaiSpec;
  const b = isRecord(body) ? body : {};
  const name = asString(b['model']);
  const fault = rt.decideFault(req, name);
  if (!openaiAuthorize(rt, req, res, fault)) return;
  if (!name) return sendError(res, spec, 'invalid_request', 'you must provide a model parameter', { param: 'model' });
  const model = findEmbeddingModel(name);
  if (!model)
    return sendError(res, spec, 'not_found', `The model \`${name}\` does not exist or you do not have access to it.`, {
      code: 'model_not_found',
      param: 'model',
    });
  const parsed = parseInputs(b['input'], 'input');
  if (!parsed.ok) return sendError(res, spec, 'invalid_request', parsed.message, { param: parsed.param, code: 'invalid_value' });
  const format = b['encoding_format'] ?? 'float';
  if (format !== 'float' && format !== 'base64') {
    return sendError(res, spec, 'invalid_request', `Invalid value: '${String(format)}'. Supported values are: 'float' and 'base64'.`, {
      param: 'encoding_format',
      code: 'invalid_value',
    });
  }
  let dimensions = model.dimensions;
  if (b['dimensions'] !== undefined) {
    const d = asNumber(b['dimensions']);
    if (!model.shortens) return sendError(res, spec, 'invalid_request', `This model does not support specifying dimensions.`, { param: 'dimensions' });
    if (d === undefined || !Number.isInteger(d) || d < 1 || d > model.dimensions) {
      return sendError(res, spec, 'invalid_request', `Invalid value for 'dimensions': must be an integer between 1 and ${model.dimensions}.`, {
        param: 'dimensions',
        code: 'invalid_value',
      });
    }
    dimensions = d;
  }
  for (const [i, text] of parsed.inputs.entries()) {
    const n = countTokens(text);
    if (n > model.maxInputTokens) {
      return sendError(
        res,
        spec,
        'context_length',
        `This model's maximum context length is ${model.maxInputTokens} tokens, however you requested ${n} tokens (input[${i}]). Please reduce your prompt.`,
        { param: 'input', code: 'context_length_exceeded' },
      );
    }
  }
  if (await answeredFault(fault, spec, res, model.name)) return;
  await sleep(EMBEDDING_LATENCY_MS * rt.config.timeScale, clientGone(res)).catch(() => undefined);
  if (res.writableEnded || res.destroyed) return;
  const promptTokens = parsed.inputs.reduce((s, t) => s + countTokens(t), 0);
  sendJson(
    res,
    200,
    {
      object: 'list',
      data: parsed.inputs.map((text, index) => {
        const v = embeddingVector(model, text, dimensions);
        return { object: 'embedding', index, embedding: format === 'base64' ? base64Vector(v) : v };
      }),
      model: model.name,
      usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
    },
    spec.requestIdHeaders(),
  );
}

/** Ollama's `/api/embed`: `{ model, input, truncate?, dimensions? }` → `{ model, embeddings, prompt_eval_count, … }`. */
export async function ollamaEmbed(rt: Runtime, req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
  const spec = ollamaSpec;
  const b = isRecord(body) ? body : {};
  const name = asString(b['model']);
  const fault = rt.decideFault(req, name);
  if (!authorize(rt, spec, res, undefined, fault === '401' ? fault : undefined, { missing: 'unauthorized', invalid: 'unauthorized' })) return;
  if (!name) return sendError(res, spec, 'invalid_request', 'model is required');
  const model = findEmbeddingModel(name);
  if (!model) return sendError(res, spec, 'not_found', `model "${name}" not found, try pulling it first`);
  const parsed = parseInputs(b['input'], 'input');
  if (!parsed.ok) return sendError(res, spec, 'invalid_request', parsed.message);
  const truncate = b['truncate'] !== false;
  let dimensions = model.dimensions;
  if (b['dimensions'] !== undefined) {
    const d = asNumber(b['dimensions']);
    if (d === undefined || !Number.isInteger(d) || d < 1 || d > model.dimensions)
      return sendError(res, spec, 'invalid_request', `invalid dimensions ${String(b['dimensions'])}`);
    dimensions = d;
  }
  const inputs = parsed.inputs.map((t) => (countTokens(t) > model.maxInputTokens && truncate ? t.slice(0, model.maxInputTokens * 4) : t));
  if (!truncate && inputs.some((t) => countTokens(t) > model.maxInputTokens))
    return sendError(res, spec, 'invalid_request', 'input length exceeds maximum context length');
  if (await answeredFault(fault, spec, res, model.name)) return;
  const started = process.hrtime.bigint();
  await sleep(EMBEDDING_LATENCY_MS * rt.config.timeScale, clientGone(res)).catch(() => undefined);
  if (res.writableEnded || res.destroyed) return;
  const took = Number(process.hrtime.bigint() - started);
  sendJson(res, 200, {
    model: name,
    embeddings: inputs.map((t) => embeddingVector(model, t, dimensions)),
    total_duration: took,
    load_duration: 0,
    prompt_eval_count: inputs.reduce((s, t) => s + countTokens(t), 0),
  });
}
