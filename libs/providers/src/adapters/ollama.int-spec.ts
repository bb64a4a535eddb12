import type { TokenUsage } from '../llm-provider';
import { OllamaProvider } from './ollama.adapter';
import { collect, describeProviderContract, MESSAGES, postJson, recordingFetch, SONG_SCHEMA } from './test/provider-contract';

describeProviderContract(
  {
    kind: 'ollama',
    model: 'qwen3:8b',
    baseUrl: (url) => url,
    create: (connection, options) => new OllamaProvider({ ...connection, keepAlive: '30m' }, options),
    rejectsLongPrompts: false,
    async rawUsage(url, request): Promise<TokenUsage> {
      const body = await postJson(`${url}/api/chat`, {
        model: request.model,
        messages: request.messages,
        stream: false,
        ...(request.outputSchema ? { format: request.outputSchema.schema } : {}),
      });
      return { inputTokens: body['prompt_eval_count'] as number, outputTokens: body['eval_count'] as number, cachedInputTokens: 0, reasoningTokens: 0 };
    },
  },
  (ctx) => {
    it('sends keep_alive, format = the schema, num_predict and temperature on /api/chat', async () => {
      const rec = recordingFetch();
      const provider = new OllamaProvider({ id: 'o', kind: 'ollama', baseUrl: `${ctx.url}/`, keepAlive: '30m' }, { fetch: rec.fetch });
      await provider.chat({ model: 'qwen3:8b', messages: MESSAGES, maxTokens: 50, temperature: 0.2, outputSchema: { name: 'song', schema: SONG_SCHEMA } });
      await collect(provider.chatStream({ model: 'qwen3:8b', messages: MESSAGES }));
      expect(rec.urls).toEqual([`${ctx.url}/api/chat`, `${ctx.url}/api/chat`]);
      expect(rec.bodies[0]).toMatchObject({
        model: 'qwen3:8b',
        stream: false,
        keep_alive: '30m',
        format: SONG_SCHEMA,
        options: { num_predict: 50, temperature: 0.2 },
      });
      expect(rec.bodies[0]?.['messages']).toEqual(MESSAGES);
      expect(rec.bodies[1]).toMatchObject({ stream: true, keep_alive: '30m' });
      expect(rec.bodies[1]).not.toHaveProperty('format');
      expect(rec.bodies[1]).not.toHaveProperty('options');
    });

    it('says emulated: false when the response lacks x-margin-emulator', async () => {
      const strip: typeof fetch = async (input, init) => {
        const res = await fetch(input, init);
        const headers = new Headers(res.headers);
        headers.delete('x-margin-emulator');
        return new Response(res.body, { status: res.status, headers });
      };
      const provider = new OllamaProvider({ id: 'o', kind: 'ollama', baseUrl: ctx.url }, { fetch: strip });
      expect((await provider.chat({ model: 'qwen3:8b', messages: MESSAGES })).emulated).toBe(false);
      expect(await provider.health()).toMatchObject({ healthy: true, emulated: false });
    });
  },
);
