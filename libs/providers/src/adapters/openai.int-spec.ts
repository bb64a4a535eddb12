import type { TokenUsage } from '../llm-provider';
import { StreamInterruptedError } from '../provider-errors';
import { OpenAiProvider } from './openai.adapter';
import { caught, collect, describeProviderContract, MESSAGES, postJson, recordingFetch, SONG_SCHEMA } from './test/provider-contract';

interface OpenAiUsage {
  prompt_tokens: number;
  completion_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
  completion_tokens_details: { reasoning_tokens: number };
}

/** A fetch answering every call with this SSE text, like a host that closes cleanly mid-answer. */
function sseFetch(text: string): typeof fetch {
  return () => Promise.resolve(new Response(text, { status: 200, headers: { 'content-type': 'text/event-stream', 'x-margin-emulator': '1' } }));
}
const chunk = (v: unknown): string => `data: ${JSON.stringify(v)}\n\n`;
const piece = (content: string, finish: string | null = null): unknown => ({
  id: 'c1',
  object: 'chat.completion.chunk',
  created: 1,
  model: 'gpt-4o-mini',
  choices: [{ index: 0, delta: { content }, finish_reason: finish }],
});

describeProviderContract(
  {
    kind: 'openai',
    model: 'gpt-4o-mini',
    baseUrl: (url) => `${url}/v1`,
    create: (connection, options) => new OpenAiProvider(connection, options),
    rejectsLongPrompts: true,
    async rawUsage(url, request): Promise<TokenUsage> {
      const body = await postJson(`${url}/v1/chat/completions`, {
        model: request.model,
        messages: request.messages,
        ...(request.outputSchema
          ? { response_format: { type: 'json_schema', json_schema: { name: request.outputSchema.name, schema: request.outputSchema.schema, strict: true } } }
          : {}),
      });
      const u = body['usage'] as OpenAiUsage;
      return {
        inputTokens: u.prompt_tokens,
        outputTokens: u.completion_tokens,
        cachedInputTokens: u.prompt_tokens_details.cached_tokens,
        reasoningTokens: u.completion_tokens_details.reasoning_tokens,
      };
    },
  },
  (ctx) => {
    it('sends response_format json_schema (strict), stream_options.include_usage and max_tokens', async () => {
      const rec = recordingFetch();
      const provider = new OpenAiProvider({ id: 'o', kind: 'openai', baseUrl: `${ctx.url}/v1/` }, { fetch: rec.fetch });
      await provider.chat({
        model: 'gpt-4o-mini',
        messages: MESSAGES,
        maxTokens: 300,
        temperature: 0.3,
        outputSchema: { name: 'song review!', schema: SONG_SCHEMA },
      });
      await collect(provider.chatStream({ model: 'gpt-4o-mini', messages: MESSAGES }));
      expect(rec.urls).toEqual([`${ctx.url}/v1/chat/completions`, `${ctx.url}/v1/chat/completions`]);
      expect(rec.bodies[0]).toEqual({
        model: 'gpt-4o-mini',
        messages: MESSAGES,
        temperature: 0.3,
        max_tokens: 300,
        response_format: { type: 'json_schema', json_schema: { name: 'song_review_', schema: SONG_SCHEMA, strict: true } },
        stream: false,
      });
      expect(rec.bodies[1]).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    });

    it('wraps a non-object root schema in { value } (strict mode wants an object) and unwraps the answer', async () => {
      const rec = recordingFetch();
      const provider = new OpenAiProvider({ id: 'o', kind: 'openai', baseUrl: `${ctx.url}/v1` }, { fetch: rec.fetch });
      const schema = { type: 'array', items: { $ref: '#/$defs/tag' }, minItems: 2, maxItems: 3, $defs: { tag: { type: 'string', minLength: 1 } } };
      const result = await provider.chat({ model: 'gpt-4o-mini', messages: MESSAGES, outputSchema: { name: 'tags', schema } });
      expect(Array.isArray(result.json)).toBe(true);
      expect((result.json as string[]).length).toBeGreaterThanOrEqual(2);
      const sent = (rec.bodies[0]?.['response_format'] as { json_schema: { schema: Record<string, unknown> } }).json_schema.schema;
      expect(sent).toMatchObject({ type: 'object', required: ['value'], $defs: schema.$defs });
    });

    it('reports prompt-cache hits as cachedInputTokens', async () => {
      ctx.emu.configure({ promptCache: { minTokens: 128 } });
      const long = [
        { role: 'system' as const, content: 'You are a meticulous music critic. '.repeat(40) },
        { role: 'user' as const, content: 'Review "Yesterday".' },
      ];
      const first = await ctx.provider().chat({ model: 'gpt-4o', messages: long });
      const second = await ctx.provider().chat({ model: 'gpt-4o', messages: [...long.slice(0, 1), { role: 'user', content: 'Review "Help!".' }] });
      expect(first.usage.cachedInputTokens).toBe(0);
      expect(second.usage.cachedInputTokens).toBeGreaterThan(0);
      expect(second.usage.cachedInputTokens % 128).toBe(0);
      expect(second.usage.cachedInputTokens).toBeLessThanOrEqual(second.usage.inputTokens);
    });

    it('throws StreamInterruptedError when a stream ends cleanly but without finish reason or usage', async () => {
      const noUsage = new OpenAiProvider(
        { id: 'o', kind: 'openai', baseUrl: 'http://host.invalid/v1' },
        { fetch: sseFetch(chunk(piece('Hello')) + chunk(piece('', 'stop')) + 'data: [DONE]\n\n') },
      );
      const deltas: string[] = [];
      const consume = async (): Promise<void> => {
        for await (const e of noUsage.chatStream({ model: 'gpt-4o-mini', messages: MESSAGES })) if (e.type === 'delta') deltas.push(e.text);
      };
      const err = await caught(consume());
      expect(err).toBeInstanceOf(StreamInterruptedError);
      expect((err as Error).message).toMatch(/usage/);
      expect(deltas).toEqual(['Hello']);
      const noFinish = new OpenAiProvider({ id: 'o', kind: 'openai', baseUrl: 'http://host.invalid/v1' }, { fetch: sseFetch(chunk(piece('Hello'))) });
      expect(await caught(collect(noFinish.chatStream({ model: 'gpt-4o-mini', messages: MESSAGES })))).toBeInstanceOf(StreamInterruptedError);
    });
  },
);
