import type { TokenUsage } from '../llm-provider';
import { StreamInterruptedError } from '../provider-errors';
import { AnthropicProvider, ANTHROPIC_DEFAULT_MAX_TOKENS } from './anthropic.adapter';
import { caught, collect, describeProviderContract, MESSAGES, postJson, recordingFetch, SONG_SCHEMA } from './test/provider-contract';

interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
}

const event = (type: string, data: Record<string, unknown>): string => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
const START = event('message_start', {
  message: {
    id: 'm',
    type: 'message',
    role: 'assistant',
    model: 'claude-haiku-4-5',
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: { input_tokens: 10, output_tokens: 1 },
  },
});
const TEXT =
  event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }) +
  event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Hello' } });
const DELTA = event('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 2 } });

function sseFetch(text: string): typeof fetch {
  return () => Promise.resolve(new Response(text, { status: 200, headers: { 'content-type': 'text/event-stream' } }));
}

describeProviderContract(
  {
    kind: 'anthropic',
    model: 'claude-haiku-4-5',
    baseUrl: (url) => url,
    create: (connection, options) => new AnthropicProvider(connection, options),
    rejectsLongPrompts: true,
    async rawUsage(url, request): Promise<TokenUsage> {
      const system = request.messages.filter((m) => m.role === 'system').map((m) => m.content);
      const out = request.outputSchema;
      const body = await postJson(
        `${url}/v1/messages`,
        {
          model: request.model,
          max_tokens: 1024,
          ...(system.length > 0 ? { system: system.join('\n\n') } : {}),
          messages: request.messages.filter((m) => m.role !== 'system'),
          ...(out ? { tools: [{ name: out.name, input_schema: out.schema }], tool_choice: { type: 'tool', name: out.name } } : {}),
        },
        { 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-test' },
      );
      const u = body['usage'] as AnthropicUsage;
      return {
        inputTokens: u.input_tokens + u.cache_read_input_tokens + u.cache_creation_input_tokens,
        outputTokens: u.output_tokens,
        cachedInputTokens: u.cache_read_input_tokens,
        reasoningTokens: 0,
      };
    },
  },
  (ctx) => {
    it('sends system messages as `system`, a default max_tokens and a forced tool for structured output', async () => {
      const rec = recordingFetch();
      const provider = new AnthropicProvider({ id: 'a', kind: 'anthropic', baseUrl: `${ctx.url}/v1`, apiKey: 'sk-ant' }, { fetch: rec.fetch });
      await provider.chat({ model: 'claude-haiku-4-5', messages: MESSAGES, outputSchema: { name: 'song', schema: SONG_SCHEMA } });
      await collect(provider.chatStream({ model: 'claude-haiku-4-5', messages: MESSAGES, maxTokens: 200, temperature: 0.1 }));
      expect(rec.urls).toEqual([`${ctx.url}/v1/messages`, `${ctx.url}/v1/messages`]);
      expect(rec.bodies[0]).toMatchObject({
        model: 'claude-haiku-4-5',
        max_tokens: ANTHROPIC_DEFAULT_MAX_TOKENS,
        system: 'You are a music critic.',
        messages: [MESSAGES[1]],
        tools: [{ name: 'song', input_schema: SONG_SCHEMA }],
        tool_choice: { type: 'tool', name: 'song' },
      });
      expect(rec.bodies[1]).toMatchObject({ stream: true, max_tokens: 200, temperature: 0.1 });
      expect(rec.bodies[1]).not.toHaveProperty('tools');
    });

    it('counts prompt-cache reads and writes into inputTokens, reads as cachedInputTokens', async () => {
      ctx.emu.configure({ promptCache: { minTokens: 128 } });
      const rec = recordingFetch();
      // cache_control is not part of the contract: mark the system prompt on the wire, as a caching layer would
      const marking: typeof fetch = (input, init) => {
        const body = JSON.parse(String(init?.body)) as Record<string, unknown>;
        body['system'] = [{ type: 'text', text: body['system'], cache_control: { type: 'ephemeral' } }];
        return rec.fetch(input, { ...init, body: JSON.stringify(body) });
      };
      const provider = new AnthropicProvider({ id: 'a', kind: 'anthropic', baseUrl: ctx.url }, { fetch: marking });
      const messages = [
        { role: 'system' as const, content: 'You are a meticulous music critic. '.repeat(40) },
        { role: 'user' as const, content: 'Review "Yesterday".' },
      ];
      const first = await provider.chat({ model: 'claude-sonnet-4-5', messages });
      const second = await provider.chat({ model: 'claude-sonnet-4-5', messages });
      expect(first.usage.cachedInputTokens).toBe(0);
      expect(second.usage.cachedInputTokens).toBeGreaterThan(0);
      expect(second.usage.inputTokens).toBe(first.usage.inputTokens);
      const { done } = await collect(provider.chatStream({ model: 'claude-sonnet-4-5', messages }));
      expect(done[0]!.usage).toEqual(second.usage);
    });

    it('throws StreamInterruptedError when a stream ends cleanly before message_delta or message_stop', async () => {
      for (const text of [START + TEXT, START + TEXT + DELTA]) {
        const provider = new AnthropicProvider({ id: 'a', kind: 'anthropic', baseUrl: 'http://host.invalid' }, { fetch: sseFetch(text) });
        expect(await caught(collect(provider.chatStream({ model: 'claude-haiku-4-5', messages: MESSAGES })))).toBeInstanceOf(StreamInterruptedError);
      }
      const complete = new AnthropicProvider(
        { id: 'a', kind: 'anthropic', baseUrl: 'http://host.invalid' },
        { fetch: sseFetch(START + TEXT + DELTA + event('message_stop', {})) },
      );
      const { done } = await collect(complete.chatStream({ model: 'claude-haiku-4-5', messages: MESSAGES }));
      expect(done[0]).toMatchObject({ text: 'Hello', usage: { inputTokens: 10, outputTokens: 2 }, finishReason: 'stop', emulated: false });
    });
  },
);
