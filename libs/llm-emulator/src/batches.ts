// The providers' deferred tiers, emulated with their real shapes: OpenAI's Files + Batch API (`/v1/files`,
// `/v1/batches`) and Anthropic's Message Batches (`/v1/messages/batches`). Each request line runs through the
// emulator's own live route (loopback, instant, outside the live rate limits) once the batch's completion delay
// has passed, so answers, usage and errors are exactly what the live endpoints would give.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { header, readBody, sendJson } from './http-util';
import { BATCH_LINE_HEADER, randomId, sendError, type ProtocolSpec } from './pipeline';
import { anthropicSpec } from './protocols/anthropic';
import { isRecord } from './protocols/common';
import { openaiSpec } from './protocols/openai';
import { LATENCY_HEADER, TPS_HEADER } from './runtime';

export interface BatchKnobs {
  /** How long a batch stays in progress before its lines run (ms). */
  completionDelayMs: number;
  /** The next `expireNext` batches expire: half of their requests are answered, the rest expire. */
  expireNext: number;
  /** Every Nth request of a batch (1-based) fails with a 500 server error (0 = none). */
  failEvery: number;
}

export const DEFAULT_BATCH_KNOBS: BatchKnobs = { completionDelayMs: 1000, expireNext: 0, failEvery: 0 };

interface StoredFile {
  id: string;
  filename: string;
  purpose: string;
  createdAt: number;
  content: Buffer;
}

type OpenAiStatus = 'validating' | 'failed' | 'in_progress' | 'finalizing' | 'completed' | 'expired' | 'cancelling' | 'cancelled';

interface OpenAiBatch {
  id: string;
  endpoint: string;
  inputFileId: string;
  completionWindow: string;
  status: OpenAiStatus;
  metadata: Record<string, string> | null;
  createdAt: number;
  times: Partial<Record<'in_progress_at' | 'finalizing_at' | 'completed_at' | 'failed_at' | 'expired_at' | 'cancelling_at' | 'cancelled_at', number>>;
  errors: Array<{ code: string; message: string; param: string | null; line: number | null }> | null;
  outputFileId: string | null;
  errorFileId: string | null;
  counts: { total: number; completed: number; failed: number };
  auth: Record<string, string>;
  /** custom ids of the validated lines */
  customIds: string[];
}

type AnthropicResult =
  | { type: 'succeeded'; message: unknown }
  | { type: 'errored'; error: { type: 'error'; error: { type: string; message: string } } }
  | { type: 'expired' }
  | { type: 'canceled' };

interface AnthropicBatch {
  id: string;
  status: 'in_progress' | 'canceling' | 'ended';
  createdAt: number;
  endedAt: number | null;
  cancelAt: number | null;
  requests: Array<{ customId: string; params: Record<string, unknown> }>;
  results: Array<{ custom_id: string; result: AnthropicResult }>;
  auth: Record<string, string>;
}

interface LineAnswer {
  status: number;
  requestId: string;
  body: unknown;
}

const seconds = (ms: number): number => Math.floor(ms / 1000);
const DAY_S = 24 * 3600;

/** The caller's credentials, passed on to the lines' loopback requests. */
function credentials(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ['authorization', 'x-api-key']) {
    const v = header(req, name);
    if (v !== undefined) out[name] = v;
  }
  return out;
}

/** Parsed query string of a request. */
function query(req: IncomingMessage): URLSearchParams {
  return new URL(req.url ?? '/', 'http://emulator').searchParams;
}

export class BatchStore {
  knobs: BatchKnobs = { ...DEFAULT_BATCH_KNOBS };
  private readonly files = new Map<string, StoredFile>();
  private readonly openai = new Map<string, OpenAiBatch>();
  private readonly anthropic = new Map<string, AnthropicBatch>();
  private readonly timers = new Set<NodeJS.Timeout>();

  /** @param selfUrl the emulator's own base URL (lines run through its live routes) */
  constructor(private readonly selfUrl: () => string | undefined) {}

  configure(patch: Partial<BatchKnobs>): BatchKnobs {
    for (const [k, v] of Object.entries(patch)) {
      if (!(k in DEFAULT_BATCH_KNOBS)) throw new Error(`unknown batch knob ${k}`);
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`batch knob ${k} must be a non-negative number`);
    }
    this.knobs = { ...this.knobs, ...patch };
    return this.knobs;
  }

  reset(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.files.clear();
    this.openai.clear();
    this.anthropic.clear();
    this.knobs = { ...DEFAULT_BATCH_KNOBS };
  }

  stats(): { openai: Record<string, number>; anthropic: Record<string, number>; files: number } {
    const count = (values: Iterable<{ status: string }>): Record<string, number> => {
      const out: Record<string, number> = {};
      for (const v of values) out[v.status] = (out[v.status] ?? 0) + 1;
      return out;
    };
    return { openai: count(this.openai.values()), anthropic: count(this.anthropic.values()), files: this.files.size };
  }

  /** Serves the route when it is one of the batch routes; false otherwise (the live router takes it). */
  async handle(method: string, path: string, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    if (method === 'POST' && path === '/_emulator/batches') return this.reply(res, () => this.control(req, res));
    if (path === '/v1/files' || path.startsWith('/v1/files/')) return this.reply(res, () => this.filesRoute(method, path, req, res));
    if (path === '/v1/batches' || path.startsWith('/v1/batches/')) return this.reply(res, () => this.openaiRoute(method, path, req, res));
    if (path === '/v1/messages/batches' || path.startsWith('/v1/messages/batches/')) return this.reply(res, () => this.anthropicRoute(method, path, req, res));
    return false;
  }

  private async reply(res: ServerResponse, run: () => Promise<void> | void): Promise<boolean> {
    await run();
    return res.headersSent || res.destroyed || res.writableEnded;
  }

  private async control(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = (await readBody(req)).toString('utf8');
    try {
      const patch = raw ? (JSON.parse(raw) as unknown) : {};
      if (!isRecord(patch)) throw new Error('body must be an object');
      sendJson(res, 200, { batch: this.configure(patch as Partial<BatchKnobs>) });
    } catch (e) {
      sendJson(res, 400, { error: (e as Error).message });
    }
  }

  // ---------------------------------------------------------------- OpenAI files

  private async filesRoute(method: string, path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const spec = openaiSpec;
    if (path === '/v1/files') {
      if (method === 'POST') return this.upload(req, res);
      if (method === 'GET') {
        const purpose = query(req).get('purpose');
        const data = [...this.files.values()].filter((f) => !purpose || f.purpose === purpose).map((f) => this.fileObject(f));
        return sendJson(res, 200, { object: 'list', data, has_more: false }, spec.requestIdHeaders());
      }
      return sendError(res, spec, 'invalid_request', `Method ${method} is not allowed on ${path}`, { code: 'method_not_allowed' });
    }
    const [id, sub] = path.slice('/v1/files/'.length).split('/');
    const file = id ? this.files.get(decodeURIComponent(id)) : undefined;
    if (!file) return sendError(res, spec, 'not_found', `No such File object: ${id ?? ''}`, { param: 'id' });
    if (method === 'GET' && sub === 'content') {
      res.writeHead(200, { ...spec.requestIdHeaders(), 'content-type': 'application/octet-stream', 'content-length': String(file.content.length) });
      return void res.end(file.content);
    }
    if (method === 'GET' && sub === undefined) return sendJson(res, 200, this.fileObject(file), spec.requestIdHeaders());
    if (method === 'DELETE' && sub === undefined) {
      this.files.delete(file.id);
      return sendJson(res, 200, { id: file.id, object: 'file', deleted: true }, spec.requestIdHeaders());
    }
    return sendError(res, spec, 'not_found', `Unknown route ${method} ${path}`, { code: 'unknown_url' });
  }

  private fileObject(f: StoredFile): Record<string, unknown> {
    return {
      id: f.id,
      object: 'file',
      bytes: f.content.length,
      created_at: f.createdAt,
      filename: f.filename,
      purpose: f.purpose,
      status: 'processed',
      status_details: null,
      expires_at: null,
    };
  }

  private storeFile(filename: string, purpose: string, content: Buffer): StoredFile {
    const file: StoredFile = { id: randomId('file-', 24), filename, purpose, createdAt: seconds(Date.now()), content };
    this.files.set(file.id, file);
    return file;
  }

  private async upload(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const spec = openaiSpec;
    const type = header(req, 'content-type') ?? '';
    if (!type.startsWith('multipart/form-data')) {
      return sendError(res, spec, 'invalid_request', 'The request must be multipart/form-data with a file and a purpose.', { param: 'file' });
    }
    const raw = await readBody(req);
    let form: FormData;
    try {
      // undici's multipart parser (the Fetch API's Request.formData) reads the buffered body; the cast spans the
      // DOM and Node typings of BodyInit, which disagree on Buffer
      const body = raw as unknown as RequestInit['body'];
      form = await new Request('http://emulator/v1/files', { method: 'POST', headers: { 'content-type': type }, body }).formData();
    } catch (e) {
      return sendError(res, spec, 'invalid_request', `Could not parse multipart form: ${(e as Error).message}`, { param: 'file' });
    }
    const purpose = form.get('purpose');
    const file = form.get('file');
    if (typeof purpose !== 'string' || !purpose) return sendError(res, spec, 'invalid_request', "Missing required parameter: 'purpose'.", { param: 'purpose' });
    if (!['batch', 'fine-tune', 'assistants', 'vision', 'user_data', 'evals'].includes(purpose)) {
      return sendError(res, spec, 'invalid_request', `Invalid value for 'purpose': '${purpose}'.`, { param: 'purpose', code: 'invalid_value' });
    }
    if (file === null || typeof file === 'string') return sendError(res, spec, 'invalid_request', "Missing required parameter: 'file'.", { param: 'file' });
    const content = Buffer.from(await file.arrayBuffer());
    if (purpose === 'batch' && !file.name.endsWith('.jsonl')) {
      return sendError(res, spec, 'invalid_request', `Invalid file format for Batch API. Must be .jsonl`, { param: 'file', code: 'invalid_file_format' });
    }
    sendJson(res, 200, this.fileObject(this.storeFile(file.name, purpose, content)), spec.requestIdHeaders());
  }

  // ---------------------------------------------------------------- OpenAI batches

  private async openaiRoute(method: string, path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const spec = openaiSpec;
    if (path === '/v1/batches') {
      if (method === 'POST') return this.createOpenAi(req, res);
      if (method === 'GET') {
        const q = query(req);
        const limit = Math.min(100, Math.max(1, Number(q.get('limit') ?? 20) || 20));
        const all = [...this.openai.values()].sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1));
        const after = q.get('after');
        const start = after ? all.findIndex((b) => b.id === after) + 1 : 0;
        const page = all.slice(start, start + limit);
        return sendJson(
          res,
          200,
          {
            object: 'list',
            data: page.map((b) => this.openaiObject(b)),
            first_id: page[0]?.id ?? null,
            last_id: page.at(-1)?.id ?? null,
            has_more: start + limit < all.length,
          },
          spec.requestIdHeaders(),
        );
      }
    }
    const [id, sub] = path.slice('/v1/batches/'.length).split('/');
    const batch = id ? this.openai.get(decodeURIComponent(id)) : undefined;
    if (!batch) return sendError(res, spec, 'not_found', `No batch found with id '${id ?? ''}'.`, { param: 'batch_id' });
    if (method === 'GET' && sub === undefined) return sendJson(res, 200, this.openaiObject(batch), spec.requestIdHeaders());
    if (method === 'POST' && sub === 'cancel') {
      if (batch.status === 'validating' || batch.status === 'in_progress') {
        batch.status = 'cancelling';
        batch.times.cancelling_at = seconds(Date.now());
        // nothing ran yet (lines run at the end of the delay): every request is cancelled
        this.later(0, () =>
          this.finishOpenAi(
            batch,
            batch.customIds.map((customId) => ({ customId, answer: null })),
          ),
        );
      } else if (batch.status !== 'cancelling' && batch.status !== 'cancelled') {
        return sendError(res, spec, 'invalid_request', `Cannot cancel a batch with status '${batch.status}'.`, { code: 'batch_not_cancellable' });
      }
      return sendJson(res, 200, this.openaiObject(batch), spec.requestIdHeaders());
    }
    return sendError(res, spec, 'not_found', `Unknown route ${method} ${path}`, { code: 'unknown_url' });
  }

  private async createOpenAi(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const spec = openaiSpec;
    const body = await this.jsonBody(req, res, spec);
    if (body === undefined) return;
    const inputFileId = body['input_file_id'];
    const endpoint = body['endpoint'];
    const window = body['completion_window'];
    if (typeof inputFileId !== 'string')
      return sendError(res, spec, 'invalid_request', "Missing required parameter: 'input_file_id'.", { param: 'input_file_id' });
    if (typeof endpoint !== 'string' || !['/v1/chat/completions', '/v1/responses', '/v1/embeddings', '/v1/completions'].includes(endpoint)) {
      return sendError(res, spec, 'invalid_request', `Invalid value for 'endpoint': '${String(endpoint)}'.`, { param: 'endpoint', code: 'invalid_value' });
    }
    if (window !== '24h')
      return sendError(res, spec, 'invalid_request', `Invalid value for 'completion_window': '${String(window)}'. Supported values are: '24h'.`, {
        param: 'completion_window',
        code: 'invalid_value',
      });
    const file = this.files.get(inputFileId);
    if (!file) return sendError(res, spec, 'not_found', `No such File object: ${inputFileId}`, { param: 'input_file_id' });
    if (file.purpose !== 'batch')
      return sendError(res, spec, 'invalid_request', `File ${inputFileId} has purpose '${file.purpose}', expected 'batch'.`, { param: 'input_file_id' });
    const metadata = isRecord(body['metadata'])
      ? (Object.fromEntries(Object.entries(body['metadata']).map(([k, v]) => [k, String(v)])) as Record<string, string>)
      : null;
    const batch: OpenAiBatch = {
      id: randomId('batch_', 24),
      endpoint,
      inputFileId,
      completionWindow: window,
      status: 'validating',
      metadata,
      createdAt: seconds(Date.now()),
      times: {},
      errors: null,
      outputFileId: null,
      errorFileId: null,
      counts: { total: 0, completed: 0, failed: 0 },
      auth: credentials(req),
      customIds: [],
    };
    this.openai.set(batch.id, batch);
    this.later(0, () => this.validateOpenAi(batch, file));
    sendJson(res, 200, this.openaiObject(batch), spec.requestIdHeaders());
  }

  /** Every line must be `{custom_id, method: "POST", url, body}` with a unique custom_id and the batch's endpoint. */
  private validateOpenAi(batch: OpenAiBatch, file: StoredFile): void {
    const errors: NonNullable<OpenAiBatch['errors']> = [];
    const lines: Array<{ customId: string; body: Record<string, unknown> }> = [];
    const seen = new Set<string>();
    const rows = file.content.toString('utf8').split('\n');
    rows.forEach((text, i) => {
      if (!text.trim()) return;
      const line = i + 1;
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        return void errors.push({ code: 'invalid_json_line', message: 'This line is not parseable as valid JSON.', param: null, line });
      }
      if (!isRecord(parsed)) return void errors.push({ code: 'invalid_json_line', message: 'This line is not a JSON object.', param: null, line });
      const customId = parsed['custom_id'];
      if (typeof customId !== 'string' || !customId)
        return void errors.push({ code: 'missing_required_parameter', message: "Missing required parameter: 'custom_id'.", param: 'custom_id', line });
      if (seen.has(customId))
        return void errors.push({
          code: 'duplicate_custom_id',
          message: 'The custom_id for this request is a duplicate of another request. The custom_id parameter must be unique for each request in a batch.',
          param: 'custom_id',
          line,
        });
      seen.add(customId);
      if (parsed['method'] !== 'POST')
        return void errors.push({ code: 'invalid_method', message: "The 'method' of this request must be 'POST'.", param: 'method', line });
      if (parsed['url'] !== batch.endpoint)
        return void errors.push({
          code: 'mismatched_endpoint',
          message: `The provided endpoint (${String(parsed['url'])}) does not match the batch's endpoint (${batch.endpoint}).`,
          param: 'url',
          line,
        });
      if (!isRecord(parsed['body']))
        return void errors.push({ code: 'missing_required_parameter', message: "Missing required parameter: 'body'.", param: 'body', line });
      lines.push({ customId, body: parsed['body'] });
    });
    if (lines.length === 0 && errors.length === 0) errors.push({ code: 'empty_file', message: 'The batch input file is empty.', param: null, line: null });
    if (errors.length > 0) {
      batch.status = 'failed';
      batch.errors = errors;
      batch.times.failed_at = seconds(Date.now());
      return;
    }
    batch.status = 'in_progress';
    batch.times.in_progress_at = seconds(Date.now());
    batch.counts.total = lines.length;
    batch.customIds = lines.map((l) => l.customId);
    const expire = this.takeExpire();
    this.later(this.knobs.completionDelayMs, () => void this.runOpenAi(batch, lines, expire));
  }

  private async runOpenAi(batch: OpenAiBatch, lines: Array<{ customId: string; body: Record<string, unknown> }>, expire: boolean): Promise<void> {
    if (batch.status !== 'in_progress') return;
    const answered = expire ? lines.slice(0, Math.ceil(lines.length / 2)) : lines;
    const outcomes: Array<{ customId: string; answer: LineAnswer | null }> = [];
    for (const [i, line] of answered.entries()) {
      if ((batch.status as OpenAiStatus) !== 'in_progress') break; // cancelled meanwhile
      const failed = this.knobs.failEvery > 0 && (i + 1) % this.knobs.failEvery === 0;
      outcomes.push({ customId: line.customId, answer: await this.runLine('openai', batch.endpoint, line.body, failed, batch.auth) });
    }
    for (const line of lines.slice(outcomes.length)) outcomes.push({ customId: line.customId, answer: null });
    if ((batch.status as OpenAiStatus) === 'cancelling') return;
    batch.status = 'finalizing';
    batch.times.finalizing_at = seconds(Date.now());
    this.later(0, () => this.finishOpenAi(batch, outcomes, expire ? 'expired' : 'completed'));
  }

  /** Writes the output and error files: answered lines (2xx) to the output, failed and unanswered ones to the errors. */
  private finishOpenAi(
    batch: OpenAiBatch,
    outcomes: Array<{ customId: string; answer: LineAnswer | null }>,
    status: 'completed' | 'expired' = 'completed',
  ): void {
    const cancelled = batch.status === 'cancelling';
    const out: string[] = [];
    const err: string[] = [];
    for (const o of outcomes) {
      const id = randomId('batch_req_', 32);
      if (o.answer && o.answer.status < 300) {
        out.push(
          JSON.stringify({
            id,
            custom_id: o.customId,
            response: { status_code: o.answer.status, request_id: o.answer.requestId, body: o.answer.body },
            error: null,
          }),
        );
      } else if (o.answer) {
        err.push(
          JSON.stringify({
            id,
            custom_id: o.customId,
            response: { status_code: o.answer.status, request_id: o.answer.requestId, body: o.answer.body },
            error: null,
          }),
        );
      } else {
        err.push(
          JSON.stringify({
            id,
            custom_id: o.customId,
            response: null,
            error: cancelled
              ? { code: 'batch_cancelled', message: 'This request was cancelled before it could be executed.' }
              : { code: 'batch_expired', message: 'This request could not be executed before the completion window expired.' },
          }),
        );
      }
    }
    batch.counts.completed = out.length;
    batch.counts.failed = err.length;
    if (out.length > 0) batch.outputFileId = this.storeFile(`${batch.id}_output.jsonl`, 'batch_output', Buffer.from(`${out.join('\n')}\n`)).id;
    if (err.length > 0) batch.errorFileId = this.storeFile(`${batch.id}_error.jsonl`, 'batch_output', Buffer.from(`${err.join('\n')}\n`)).id;
    const now = seconds(Date.now());
    if (cancelled) {
      batch.status = 'cancelled';
      batch.times.cancelled_at = now;
    } else if (status === 'expired') {
      batch.status = 'expired';
      batch.times.expired_at = now;
    } else {
      batch.status = 'completed';
      batch.times.completed_at = now;
    }
  }

  private openaiObject(b: OpenAiBatch): Record<string, unknown> {
    return {
      id: b.id,
      object: 'batch',
      endpoint: b.endpoint,
      errors: b.errors ? { object: 'list', data: b.errors } : null,
      input_file_id: b.inputFileId,
      completion_window: b.completionWindow,
      status: b.status,
      output_file_id: b.outputFileId,
      error_file_id: b.errorFileId,
      created_at: b.createdAt,
      in_progress_at: b.times.in_progress_at ?? null,
      expires_at: b.createdAt + DAY_S,
      finalizing_at: b.times.finalizing_at ?? null,
      completed_at: b.times.completed_at ?? null,
      failed_at: b.times.failed_at ?? null,
      expired_at: b.times.expired_at ?? null,
      cancelling_at: b.times.cancelling_at ?? null,
      cancelled_at: b.times.cancelled_at ?? null,
      request_counts: b.counts,
      metadata: b.metadata,
    };
  }

  // ---------------------------------------------------------------- Anthropic message batches

  private async anthropicRoute(method: string, path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const spec = anthropicSpec;
    if (path === '/v1/messages/batches') {
      if (method === 'POST') return this.createAnthropic(req, res);
      if (method === 'GET') {
        const q = query(req);
        const limit = Math.min(1000, Math.max(1, Number(q.get('limit') ?? 20) || 20));
        const all = [...this.anthropic.values()].sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1));
        const after = q.get('after_id');
        const start = after ? all.findIndex((b) => b.id === after) + 1 : 0;
        const page = all.slice(start, start + limit);
        return sendJson(
          res,
          200,
          {
            data: page.map((b) => this.anthropicObject(req, b)),
            has_more: start + limit < all.length,
            first_id: page[0]?.id ?? null,
            last_id: page.at(-1)?.id ?? null,
          },
          spec.requestIdHeaders(),
        );
      }
    }
    const [id, sub] = path.slice('/v1/messages/batches/'.length).split('/');
    const batch = id ? this.anthropic.get(decodeURIComponent(id)) : undefined;
    if (!batch) return sendError(res, spec, 'not_found', `No message batch found with id '${id ?? ''}'`);
    if (method === 'GET' && sub === undefined) return sendJson(res, 200, this.anthropicObject(req, batch), spec.requestIdHeaders());
    if (method === 'GET' && sub === 'results') {
      if (batch.status !== 'ended') return sendError(res, spec, 'invalid_request', `Batch ${batch.id} has not ended yet: results are not available.`);
      const text = batch.results.map((r) => JSON.stringify(r)).join('\n') + (batch.results.length ? '\n' : '');
      res.writeHead(200, { ...spec.requestIdHeaders(), 'content-type': 'application/binary', 'content-length': String(Buffer.byteLength(text)) });
      return void res.end(text);
    }
    if (method === 'POST' && sub === 'cancel') {
      if (batch.status === 'in_progress') {
        batch.status = 'canceling';
        batch.cancelAt = Date.now();
        this.later(0, () =>
          this.endAnthropic(
            batch,
            batch.requests.map((r) => ({ custom_id: r.customId, result: { type: 'canceled' as const } })),
          ),
        );
      }
      return sendJson(res, 200, this.anthropicObject(req, batch), spec.requestIdHeaders());
    }
    if (method === 'DELETE' && sub === undefined) {
      if (batch.status !== 'ended') return sendError(res, spec, 'invalid_request', `Batch ${batch.id} cannot be deleted while it is processing.`);
      this.anthropic.delete(batch.id);
      return sendJson(res, 200, { id: batch.id, type: 'message_batch_deleted' }, spec.requestIdHeaders());
    }
    return sendError(res, spec, 'not_found', `Unknown route ${method} ${path}`, { code: 'unknown_url' });
  }

  private async createAnthropic(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const spec = anthropicSpec;
    const body = await this.jsonBody(req, res, spec);
    if (body === undefined) return;
    const requests = body['requests'];
    if (!Array.isArray(requests) || requests.length === 0) return sendError(res, spec, 'invalid_request', 'requests: Field required (a non-empty list)');
    if (requests.length > 100_000) return sendError(res, spec, 'invalid_request', 'requests: at most 100,000 requests per batch');
    const seen = new Set<string>();
    const parsed: AnthropicBatch['requests'] = [];
    for (const [i, r] of requests.entries()) {
      if (!isRecord(r) || typeof r['custom_id'] !== 'string' || !/^[a-zA-Z0-9_-]{1,64}$/.test(r['custom_id'])) {
        return sendError(res, spec, 'invalid_request', `requests.${i}.custom_id: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'`);
      }
      if (seen.has(r['custom_id']))
        return sendError(res, spec, 'invalid_request', `Duplicate custom_id '${r['custom_id']}': custom_id must be unique within a batch`);
      seen.add(r['custom_id']);
      if (!isRecord(r['params'])) return sendError(res, spec, 'invalid_request', `requests.${i}.params: Field required`);
      if (r['params']['stream'] === true) return sendError(res, spec, 'invalid_request', `requests.${i}.params.stream: streaming is not supported in batches`);
      parsed.push({ customId: r['custom_id'], params: r['params'] });
    }
    const batch: AnthropicBatch = {
      id: randomId('msgbatch_', 24),
      status: 'in_progress',
      createdAt: Date.now(),
      endedAt: null,
      cancelAt: null,
      requests: parsed,
      results: [],
      auth: credentials(req),
    };
    this.anthropic.set(batch.id, batch);
    const expire = this.takeExpire();
    this.later(this.knobs.completionDelayMs, () => void this.runAnthropic(batch, expire));
    sendJson(res, 200, this.anthropicObject(req, batch), spec.requestIdHeaders());
  }

  private async runAnthropic(batch: AnthropicBatch, expire: boolean): Promise<void> {
    if (batch.status !== 'in_progress') return;
    const answeredCount = expire ? Math.ceil(batch.requests.length / 2) : batch.requests.length;
    const results: AnthropicBatch['results'] = [];
    for (const [i, r] of batch.requests.entries()) {
      if ((batch.status as AnthropicBatch['status']) !== 'in_progress') return; // cancelled meanwhile
      if (i >= answeredCount) {
        results.push({ custom_id: r.customId, result: { type: 'expired' } });
        continue;
      }
      const failed = this.knobs.failEvery > 0 && (i + 1) % this.knobs.failEvery === 0;
      const answer = await this.runLine('anthropic', '/v1/messages', r.params, failed, batch.auth);
      if (answer.status < 300) results.push({ custom_id: r.customId, result: { type: 'succeeded', message: answer.body } });
      else {
        const e = isRecord(answer.body) && isRecord(answer.body['error']) ? answer.body['error'] : {};
        results.push({
          custom_id: r.customId,
          result: {
            type: 'errored',
            error: { type: 'error', error: { type: String(e['type'] ?? 'api_error'), message: String(e['message'] ?? `status ${answer.status}`) } },
          },
        });
      }
    }
    this.endAnthropic(batch, results);
  }

  private endAnthropic(batch: AnthropicBatch, results: AnthropicBatch['results']): void {
    if (batch.status === 'ended') return;
    batch.results = results;
    batch.status = 'ended';
    batch.endedAt = Date.now();
  }

  private anthropicObject(req: IncomingMessage, b: AnthropicBatch): Record<string, unknown> {
    const counts = { processing: 0, succeeded: 0, errored: 0, canceled: 0, expired: 0 };
    if (b.status !== 'ended') counts.processing = b.requests.length;
    for (const r of b.results) counts[r.result.type === 'canceled' ? 'canceled' : r.result.type]++;
    const host = header(req, 'host') ?? new URL(this.selfUrl() ?? 'http://127.0.0.1').host;
    return {
      id: b.id,
      type: 'message_batch',
      processing_status: b.status,
      request_counts: counts,
      ended_at: b.endedAt === null ? null : new Date(b.endedAt).toISOString(),
      created_at: new Date(b.createdAt).toISOString(),
      expires_at: new Date(b.createdAt + DAY_S * 1000).toISOString(),
      archived_at: null,
      cancel_initiated_at: b.cancelAt === null ? null : new Date(b.cancelAt).toISOString(),
      results_url: b.status === 'ended' ? `http://${host}/v1/messages/batches/${b.id}/results` : null,
    };
  }

  // ---------------------------------------------------------------- shared

  private takeExpire(): boolean {
    if (this.knobs.expireNext <= 0) return false;
    this.knobs.expireNext--;
    return true;
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    t.unref?.();
    this.timers.add(t);
  }

  private async jsonBody(req: IncomingMessage, res: ServerResponse, spec: ProtocolSpec): Promise<Record<string, unknown> | undefined> {
    const raw = (await readBody(req)).toString('utf8');
    try {
      const body = raw ? (JSON.parse(raw) as unknown) : {};
      if (isRecord(body)) return body;
    } catch {
      // answered below
    }
    sendError(res, spec, 'invalid_request', 'The request body must be a JSON object.');
    return undefined;
  }

  /** One request of a batch through the live route of the same emulator: instant, outside the live limits. */
  private async runLine(
    protocol: 'openai' | 'anthropic',
    endpoint: string,
    body: Record<string, unknown>,
    forceFail: boolean,
    auth: Record<string, string>,
  ): Promise<LineAnswer> {
    const base = this.selfUrl();
    if (!base) return { status: 500, requestId: randomId('req_', 24), body: { error: { type: 'server_error', message: 'emulator is not listening' } } };
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      [BATCH_LINE_HEADER]: '1',
      [LATENCY_HEADER]: '0',
      [TPS_HEADER]: '0',
    };
    if (forceFail) headers['x-emulator-fault'] = '500';
    if (protocol === 'anthropic') headers['anthropic-version'] = '2023-06-01';
    // the batch creator's credentials, when the emulator checks keys
    Object.assign(headers, auth);
    try {
      const r = await fetch(`${base}${endpoint}`, { method: 'POST', headers, body: JSON.stringify({ ...body, stream: false }) });
      const text = await r.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // non-JSON body kept as text
      }
      return { status: r.status, requestId: r.headers.get('x-request-id') ?? r.headers.get('request-id') ?? randomId('req_', 24), body: parsed };
    } catch (e) {
      return { status: 500, requestId: randomId('req_', 24), body: { error: { type: 'server_error', message: (e as Error).message } } };
    }
  }
}
