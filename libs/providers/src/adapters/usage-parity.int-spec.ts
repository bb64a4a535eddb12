// The emulator's usage depends only on the messages and the requested output, never on the protocol: the
// three adapters must therefore report identical TokenUsage (and text) for the same ChatRequest.
import { createEmulator, type Emulator } from '@margin/llm-emulator';
import { createProvider } from '../create-provider';
import type { ChatRequest, LlmProvider } from '../llm-provider';
import { collect, MESSAGES, SONG_SCHEMA } from './test/provider-contract';

describe('usage parity across the Ollama, OpenAI and Anthropic adapters', () => {
  let emu: Emulator;
  let providers: LlmProvider[];

  beforeAll(async () => {
    emu = createEmulator({ timeScale: 0 });
    const { url } = await emu.listen(0);
    providers = [
      createProvider({ id: 'ollama', kind: 'ollama', baseUrl: url }),
      createProvider({ id: 'openai', kind: 'openai', baseUrl: `${url}/v1`, apiKey: 'sk-test' }),
      createProvider({ id: 'anthropic', kind: 'anthropic', baseUrl: url, apiKey: 'sk-test' }),
    ];
  });
  afterAll(() => emu.close());

  const cases: Array<[string, ChatRequest]> = [
    ['plain chat with a system message', { model: 'gpt-4o-mini', messages: MESSAGES }],
    [
      'a multi-turn conversation',
      {
        model: 'qwen3:8b',
        messages: [...MESSAGES, { role: 'assistant', content: 'A quiet, aching ballad.' }, { role: 'user', content: 'And "Help!"? Briefly.' }],
      },
    ],
    ['structured output', { model: 'claude-haiku-4-5', messages: MESSAGES, outputSchema: { name: 'song', schema: SONG_SCHEMA } }],
    ['a maxTokens cut', { model: 'gpt-4o-mini', messages: MESSAGES, maxTokens: 7 }],
  ];

  it.each(cases)('%s: identical usage and text from chat and chatStream', async (_name, request) => {
    const results = await Promise.all(providers.map((p) => p.chat(request)));
    const streamed = await Promise.all(providers.map(async (p) => (await collect(p.chatStream(request))).done[0]!));
    const [first] = results;
    expect(first!.usage.inputTokens).toBeGreaterThan(0);
    expect(first!.usage.outputTokens).toBeGreaterThan(0);
    for (const r of [...results, ...streamed]) {
      expect(r.usage).toEqual(first!.usage);
      expect(r.finishReason).toBe(first!.finishReason);
      expect(r.emulated).toBe(true);
      if (request.outputSchema) expect(r.json).toEqual(first!.json);
      else expect(r.text).toBe(first!.text);
    }
  });
});
