// The contract every LlmProvider adapter must keep, run against Margin's LLM emulator on a random port
// through the real SDKs. Each adapter's `<name>.int-spec.ts` calls `describeProviderContract` and adds
// what is specific to its protocol.
import { createServer } from 'node:net';
import { createEmulator, validateJsonSchema, type Emulator } from '@margin/llm-emulator';
import type { ProviderKind } from '@margin/contracts';
import type { ChatRequest, ChatResult, ChatStreamEvent, LlmProvider, ProviderConnection, TokenUsage } from '../../llm-provider';
import {
  ContextTooLongError,
  InvalidOutputError,
  ProviderAbortedError,
  ProviderAuthError,
  ProviderBadRequestError,
  ProviderRateLimitedError,
  ProviderServerError,
  ProviderTimeoutError,
  ProviderUnavailableError,
  StreamInterruptedError,
} from '../../provider-errors';
import type { AdapterOptions } from '../adapter-support';

export const SONG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['title', 'mood', 'themes', 'year'],
  properties: {
    title: { type: 'string', minLength: 1 },
    mood: { type: 'string', enum: ['joyful', 'melancholic', 'calm'] },
    themes: { type: 'array', items: { type: 'string' }, minItems: 2, maxItems: 4 },
    year: { type: 'integer', minimum: 1960, maximum: 1970 },
  },
};

export const MESSAGES: ChatRequest['messages'] = [
  { role: 'system', content: 'You are a music critic.' },
  { role: 'user', content: 'Analyze the song "Yesterday" by the Beatles in two sentences.' },
];

/** Emulator models the suites add: a tiny context window, and one with a hidden-reasoning budget. */
export const EMULATOR_MODELS = [
  { name: 'tiny-context', protocol: 'openai' as const, contextWindow: 40 },
  { name: 'thinker', protocol: 'openai' as const, reasoningTokens: 12 },
];

export interface ContractTarget {
  kind: ProviderKind;
  /** the model the chats use */
  model: string;
  /** the connection's base URL for an emulator listening at `url` */
  baseUrl(url: string): string;
  create(connection: ProviderConnection, options?: AdapterOptions): LlmProvider;
  /** The same request sent with a plain fetch: the usage the emulator reports, in Margin's terms. */
  rawUsage(url: string, request: ChatRequest): Promise<TokenUsage>;
  /** Whether the host rejects prompts longer than the context window (Ollama truncates them). */
  rejectsLongPrompts: boolean;
}

export interface ContractContext {
  readonly emu: Emulator;
  readonly url: string;
  provider(headers?: Record<string, string>): LlmProvider;
}

export async function collect(stream: AsyncIterable<ChatStreamEvent>): Promise<{ deltas: string[]; done: ChatResult[]; events: ChatStreamEvent[] }> {
  const events: ChatStreamEvent[] = [];
  for await (const e of stream) events.push(e);
  const deltas = events.flatMap((e) => (e.type === 'delta' ? [e.text] : []));
  const done = events.flatMap((e) => (e.type === 'done' ? [e.result] : []));
  return { deltas, done, events };
}

export async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error('expected the call to fail');
}

/** A port nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export function describeProviderContract(target: ContractTarget, extra?: (ctx: ContractContext) => void): void {
  let emu: Emulator;
  let url: string;
  const connection = (baseUrl: string): ProviderConnection => ({ id: `${target.kind}-test`, kind: target.kind, baseUrl, apiKey: 'sk-test' });
  const ctx: ContractContext = {
    get emu() {
      return emu;
    },
    get url() {
      return url;
    },
    provider: (headers) => target.create(connection(target.baseUrl(url)), headers ? { headers } : {}),
  };
  const faulty = (fault: string): LlmProvider => ctx.provider({ 'x-emulator-fault': fault });
  const request = (more: Partial<ChatRequest> = {}): ChatRequest => ({ model: target.model, messages: MESSAGES, ...more });
  const structured = (more: Partial<ChatRequest> = {}): ChatRequest => request({ outputSchema: { name: 'song', schema: SONG_SCHEMA }, ...more });

  beforeAll(async () => {
    emu = createEmulator({ timeScale: 0, models: EMULATOR_MODELS });
    ({ url } = await emu.listen(0));
  });
  afterAll(() => emu.close());

  describe(`${target.kind} adapter contract`, () => {
    it('chats: text, usage equal to what the emulator reports, finish reason, emulated flag', async () => {
      const result = await ctx.provider().chat(request());
      expect(result.text.length).toBeGreaterThan(20);
      expect(result.json).toBeUndefined();
      expect(result.usage.inputTokens).toBeGreaterThan(0);
      expect(result.usage.outputTokens).toBeGreaterThan(0);
      expect(result.usage).toEqual(await target.rawUsage(url, request()));
      expect(result.finishReason).toBe('stop');
      expect(result.model).toBe(target.model);
      expect(result.emulated).toBe(true);
      expect(result.latencyMs).toBeGreaterThan(0);
    });

    it('reports hidden reasoning tokens as part of the output', async () => {
      const result = await ctx.provider().chat(request({ model: 'thinker' }));
      expect(result.usage).toEqual(await target.rawUsage(url, request({ model: 'thinker' })));
      expect(result.usage.outputTokens).toBeGreaterThan(12);
      if (target.kind === 'openai') expect(result.usage.reasoningTokens).toBe(12);
      else expect(result.usage.reasoningTokens).toBe(0); // Ollama and Anthropic do not break it out
    });

    it('stops at maxTokens with finishReason "length"', async () => {
      const result = await ctx.provider().chat(request({ maxTokens: 5 }));
      expect(result.finishReason).toBe('length');
      expect(result.usage.outputTokens).toBe(5);
    });

    it('streams: deltas concatenate to the final text, then exactly one done with usage', async () => {
      const plain = await ctx.provider().chat(request());
      const { deltas, done, events } = await collect(ctx.provider().chatStream(request()));
      expect(deltas.length).toBeGreaterThan(3);
      expect(done).toHaveLength(1);
      expect(events[events.length - 1]?.type).toBe('done');
      const result = done[0]!;
      expect(deltas.join('')).toBe(result.text);
      expect(result.text).toBe(plain.text);
      expect(result.usage).toEqual(plain.usage);
      expect(result.finishReason).toBe('stop');
      expect(result.emulated).toBe(true);
    });

    it('returns schema-valid JSON for an output schema (chat and stream)', async () => {
      const result = await ctx.provider().chat(structured());
      expect(validateJsonSchema(SONG_SCHEMA, result.json)).toEqual([]);
      expect(JSON.parse(result.text)).toEqual(result.json);
      expect(result.finishReason).toBe('stop');
      expect(result.usage).toEqual(await target.rawUsage(url, structured()));

      const { deltas, done } = await collect(ctx.provider().chatStream(structured()));
      expect(deltas.join('')).toBe(done[0]!.text);
      expect(done[0]!.json).toEqual(result.json);
      expect(done[0]!.usage).toEqual(result.usage);
    });

    it('throws InvalidOutputError for JSON that breaks the schema (schema-violation)', async () => {
      const err = await caught(faulty('schema-violation').chat(structured()));
      expect(err).toBeInstanceOf(InvalidOutputError);
      const e = err as InvalidOutputError;
      expect(e.problems.length).toBeGreaterThan(0);
      expect(e.problems[0]).toMatch(/^\/\S* /);
      expect(() => JSON.parse(e.rawText) as unknown).not.toThrow();
      expect(e.providerId).toBe(`${target.kind}-test`);
      expect(e.retryable).toBe(true);
      await expect(collect(faulty('schema-violation').chatStream(structured()))).rejects.toBeInstanceOf(InvalidOutputError);
    });

    it('throws InvalidOutputError for text that is not JSON (malformed-json)', async () => {
      const err = await caught(faulty('malformed-json').chat(structured()));
      expect(err).toBeInstanceOf(InvalidOutputError);
      expect((err as InvalidOutputError).rawText.length).toBeGreaterThan(0);
      expect((err as InvalidOutputError).problems[0]).toMatch(/^not JSON/);
      await expect(collect(faulty('malformed-json').chatStream(structured()))).rejects.toBeInstanceOf(InvalidOutputError);
    });

    it('rejects a broken output schema before calling (ProviderBadRequestError)', async () => {
      const before = emu.stats()[target.model]?.requests ?? 0;
      const err = await caught(
        ctx.provider().chat(request({ outputSchema: { name: 'bad', schema: { type: 'object', properties: { a: { type: 'no-such-type' } } } } })),
      );
      expect(err).toBeInstanceOf(ProviderBadRequestError);
      expect(emu.stats()[target.model]?.requests ?? 0).toBe(before);
    });

    it('maps 429 to ProviderRateLimitedError with retryAfterMs (chat and stream)', async () => {
      const err = await caught(faulty('429').chat(request()));
      expect(err).toBeInstanceOf(ProviderRateLimitedError);
      expect((err as ProviderRateLimitedError).retryAfterMs).toBeGreaterThan(0);
      expect((err as ProviderRateLimitedError).status).toBe(429);
      const streamed = await caught(collect(faulty('429').chatStream(request())));
      expect(streamed).toBeInstanceOf(ProviderRateLimitedError);
      expect((streamed as ProviderRateLimitedError).retryAfterMs).toBeGreaterThan(0);
    });

    it('maps 500 and 503 to ProviderServerError (chat and stream)', async () => {
      const err = await caught(faulty('500').chat(request()));
      expect(err).toBeInstanceOf(ProviderServerError);
      expect((err as ProviderServerError).status).toBe(500);
      expect(await caught(faulty('503').chat(request()))).toBeInstanceOf(ProviderServerError);
      expect(await caught(collect(faulty('500').chatStream(request())))).toBeInstanceOf(ProviderServerError);
    });

    it('maps 401 to ProviderAuthError', async () => {
      const err = await caught(faulty('401').chat(request()));
      expect(err).toBeInstanceOf(ProviderAuthError);
      expect((err as ProviderAuthError).retryable).toBe(false);
    });

    it('maps an unknown model to ProviderBadRequestError', async () => {
      const err = await caught(ctx.provider().chat(request({ model: 'no-such-model' })));
      expect(err).toBeInstanceOf(ProviderBadRequestError);
      expect((err as ProviderBadRequestError).status).toBe(404);
    });

    if (target.rejectsLongPrompts) {
      it('maps a prompt over the context window to ContextTooLongError', async () => {
        const long = request({ model: 'tiny-context', messages: [{ role: 'user', content: 'word '.repeat(200) }] });
        const err = await caught(ctx.provider().chat(long));
        expect(err).toBeInstanceOf(ContextTooLongError);
        expect((err as ContextTooLongError).status).toBe(400);
      });
    }

    it('times out a hung call after timeoutMs (ProviderTimeoutError), chat and stream', async () => {
      let started = Date.now();
      const err = await caught(faulty('hang').chat(request(), { timeoutMs: 300 }));
      expect(err).toBeInstanceOf(ProviderTimeoutError);
      expect(Date.now() - started).toBeGreaterThanOrEqual(280);
      expect(Date.now() - started).toBeLessThan(2000);
      started = Date.now();
      expect(await caught(collect(faulty('hang').chatStream(request(), { timeoutMs: 300 })))).toBeInstanceOf(ProviderTimeoutError);
      expect(Date.now() - started).toBeLessThan(2000);
    });

    it('applies the deadline to the whole stream, not only to its start', async () => {
      const slow = ctx.provider({ 'x-emulator-tokens-per-second': '40' });
      const deltas: string[] = [];
      const consume = async (): Promise<void> => {
        for await (const e of slow.chatStream(request(), { timeoutMs: 400 })) if (e.type === 'delta') deltas.push(e.text);
      };
      const err = await caught(consume());
      expect(err).toBeInstanceOf(ProviderTimeoutError);
      expect(deltas.length).toBeGreaterThan(0);
    });

    it("maps the caller's abort to ProviderAbortedError (before, during the wait, mid-stream)", async () => {
      const already = new AbortController();
      already.abort();
      expect(await caught(ctx.provider().chat(request(), { signal: already.signal }))).toBeInstanceOf(ProviderAbortedError);

      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      const err = await caught(faulty('hang').chat(request(), { signal: controller.signal, timeoutMs: 5000 }));
      expect(err).toBeInstanceOf(ProviderAbortedError);
      expect((err as ProviderAbortedError).retryable).toBe(false);

      const midStream = new AbortController();
      const slow = ctx.provider({ 'x-emulator-tokens-per-second': '40' });
      const deltas: string[] = [];
      const consume = async (): Promise<void> => {
        for await (const e of slow.chatStream(request(), { signal: midStream.signal })) {
          if (e.type === 'delta') deltas.push(e.text);
          if (deltas.length === 1) midStream.abort();
        }
      };
      expect(await caught(consume())).toBeInstanceOf(ProviderAbortedError);
    });

    it('throws StreamInterruptedError when the answer is cut (stream-cut), never a short success', async () => {
      const deltas: string[] = [];
      const consume = async (): Promise<void> => {
        for await (const e of faulty('stream-cut').chatStream(request())) if (e.type === 'delta') deltas.push(e.text);
      };
      expect(await caught(consume())).toBeInstanceOf(StreamInterruptedError);
      expect(deltas.length).toBeGreaterThan(0);
      expect(await caught(faulty('stream-cut').chat(request()))).toBeInstanceOf(StreamInterruptedError);
    });

    it('maps a closed port to ProviderUnavailableError (chat, stream, models) and an unhealthy health()', async () => {
      const port = await closedPort();
      const down = target.create(connection(target.baseUrl(`http://127.0.0.1:${port}`)));
      expect(await caught(down.chat(request()))).toBeInstanceOf(ProviderUnavailableError);
      expect(await caught(collect(down.chatStream(request())))).toBeInstanceOf(ProviderUnavailableError);
      expect(await caught(down.listModels())).toBeInstanceOf(ProviderUnavailableError);
      const health = await down.health();
      expect(health).toMatchObject({ healthy: false, emulated: false });
      expect(health.error).toMatch(/ECONNREFUSED|reach/);
    });

    it('surfaces the rate-limit headers on success', async () => {
      const result = await ctx.provider().chat(request({ model: 'gpt-4o-mini' }));
      expect(result.rateLimit.limitRequests).toBe(500);
      expect(result.rateLimit.remainingRequests).toBeLessThan(500);
      expect(result.rateLimit.resetRequestsMs).toBeGreaterThanOrEqual(0);
      expect(result.rateLimit.limitTokens).toBe(200_000);
      expect(result.rateLimit.remainingTokens).toBeLessThan(200_000);
      const { done } = await collect(ctx.provider().chatStream(request({ model: 'gpt-4o-mini' })));
      expect(done[0]!.rateLimit.limitRequests).toBe(500);
    });

    it('keeps concurrent calls on one provider apart (deadline, abort, headers)', async () => {
      const provider = ctx.provider();
      emu.setFault('hang', { model: 'llama3.1:8b', times: 1 });
      const controller = new AbortController();
      emu.setFault('hang', { model: 'mistral:7b', times: 1 });
      const [hung, aborted, ok, streamed] = await Promise.allSettled([
        provider.chat(request({ model: 'llama3.1:8b' }), { timeoutMs: 300 }),
        provider.chat(request({ model: 'mistral:7b' }), { signal: controller.signal }),
        provider.chat(request({ model: 'gpt-4o-mini' }), { timeoutMs: 5000 }),
        collect(provider.chatStream(request({ model: 'qwen3:8b' }), { timeoutMs: 5000 })),
        new Promise((resolve) => setTimeout(resolve, 50)).then(() => controller.abort()),
      ]);
      expect(hung.status === 'rejected' && hung.reason).toBeInstanceOf(ProviderTimeoutError);
      expect(aborted.status === 'rejected' && aborted.reason).toBeInstanceOf(ProviderAbortedError);
      expect(ok.status === 'fulfilled' && ok.value.rateLimit.limitRequests).toBe(500);
      expect(streamed.status === 'fulfilled' && streamed.value.done[0]?.rateLimit).toEqual({});
    });

    it('lets the consumer stop a stream early without errors or leaks', async () => {
      const provider = ctx.provider({ 'x-emulator-tokens-per-second': '200' });
      for (let i = 0; i < 3; i++) {
        for await (const e of provider.chatStream(request())) if (e.type === 'delta') break;
      }
      expect((await provider.chat(request())).text.length).toBeGreaterThan(0);
    });

    it("lists the emulator's models", async () => {
      const models = await ctx.provider().listModels();
      const ids = models.map((m) => m.id.replace(/:latest$/, ''));
      expect(ids).toEqual(expect.arrayContaining(['qwen3:8b', 'gpt-4o-mini', 'claude-haiku-4-5', 'tiny-context']));
    });

    it('reports health: healthy and emulated', async () => {
      const health = await ctx.provider().health();
      expect(health).toMatchObject({ healthy: true, emulated: true });
      expect(health.error).toBeUndefined();
      expect(health.latencyMs).toBeGreaterThan(0);
    });

    extra?.(ctx);
  });
}

/** Wraps fetch to record the JSON bodies an SDK sends (to check what goes on the wire). */
export function recordingFetch(): { fetch: typeof fetch; bodies: Array<Record<string, unknown>>; urls: string[] } {
  const bodies: Array<Record<string, unknown>> = [];
  const urls: string[] = [];
  const wrapped: typeof fetch = (input, init) => {
    urls.push(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    if (typeof init?.body === 'string') bodies.push(JSON.parse(init.body) as Record<string, unknown>);
    return fetch(input, init);
  };
  return { fetch: wrapped, bodies, urls };
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, unknown>;
}
