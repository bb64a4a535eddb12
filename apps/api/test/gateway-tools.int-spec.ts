// /v1 chat.completions with tools and the optional fields, through the official openai SDK, against the API
// on its test database with the LLM emulator behind every provider.
import { makeApiKey, makeSession, startEmulator, startTestApp, type RunningEmulator, type TestApp } from '@margin/testing';
import { CatalogSnapshot } from '@margin/model-router';
import OpenAI, { BadRequestError } from 'openai';
import { createApp } from '../src/create-app';
import { MIGRATIONS } from '../src/migrations';

const TOOLS: OpenAI.Chat.Completions.ChatCompletionFunctionTool[] = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      parameters: { type: 'object', required: ['city'], properties: { city: { type: 'string' } }, additionalProperties: false },
    },
  },
  {
    type: 'function',
    function: { name: 'get_time', parameters: { type: 'object', required: ['city'], properties: { city: { type: 'string' } }, additionalProperties: false } },
  },
];
type FnCall = OpenAI.Chat.Completions.ChatCompletionMessageFunctionToolCall;

describe('/v1 chat.completions: tools and parameters', () => {
  let emu: RunningEmulator;
  let t: TestApp;
  let client: OpenAI;
  let tenantId: string;

  beforeAll(async () => {
    emu = await startEmulator();
    t = await startTestApp(createApp, { env: emu.env, migrations: MIGRATIONS, listen: true });
    const s = await makeSession(t.dataSource, t.http, { role: 'owner' });
    tenantId = s.tenant.id;
    client = new OpenAI({ apiKey: (await makeApiKey(t.dataSource, s.tenant, { createdBy: s.user })).key, baseURL: `${t.url}/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await t.close();
    await emu.close();
  });

  const rows = async (model: string): Promise<number> =>
    Number(
      (
        (await t.dataSource.query(`SELECT count(*) AS n FROM llm_calls WHERE tenant_id = $1 AND model_id = $2 AND outcome = 'success'`, [
          tenantId,
          model,
        ])) as Array<{ n: string }>
      )[0]?.n,
    );
  const rowsAtLeast = async (model: string, n: number): Promise<number> => {
    for (let i = 0; i < 50 && (await rows(model)) < n; i++) await new Promise((r) => setTimeout(r, 20));
    return rows(model);
  };

  it.each(['openai/gpt-4o-mini', 'anthropic/claude-haiku-4-5', 'ollama/qwen3:8b'])(
    '%s: parallel tool calls, then an answer to their results',
    async (model) => {
      const messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Use get_weather and get_time for Oslo.' }];
      const first = await client.chat.completions.create({ model, messages, tools: TOOLS });
      const choice = first.choices[0] as OpenAI.Chat.Completions.ChatCompletion.Choice;
      expect(choice.finish_reason).toBe('tool_calls');
      expect(choice.message.content).toBeNull();
      expect((choice.message.tool_calls as FnCall[]).map((c) => c.function.name)).toEqual(['get_weather', 'get_time']);
      messages.push(choice.message, ...(choice.message.tool_calls ?? []).map((c) => ({ role: 'tool' as const, tool_call_id: c.id, content: '{"ok": true}' })));
      const second = await client.chat.completions.create({ model, messages, tools: TOOLS });
      expect(second.choices[0]?.finish_reason).toBe('stop');
      expect(second.choices[0]?.message.content?.length).toBeGreaterThan(10);
    },
  );

  it('streams tool-call deltas that the SDK assembles into the calls', async () => {
    const final = await client.chat.completions
      .stream({ model: 'anthropic/claude-haiku-4-5', messages: [{ role: 'user', content: 'Use get_weather and get_time for Oslo.' }], tools: TOOLS })
      .finalChatCompletion();
    expect(final.choices[0]?.finish_reason).toBe('tool_calls');
    const calls = final.choices[0]?.message.tool_calls as FnCall[];
    expect(calls.map((c) => c.function.name)).toEqual(['get_weather', 'get_time']);
    for (const c of calls) expect(JSON.parse(c.function.arguments)).toEqual({ city: expect.any(String) });
  });

  it('a model without the tools capability is skipped, and named alone is a 400 param tools', async () => {
    await t.dataSource.query(`UPDATE models SET capabilities = array_remove(capabilities, 'tools') WHERE id = 'ollama/mistral:7b'`);
    await t.app.get(CatalogSnapshot).reload();
    const err = (await client.chat.completions
      .create({ model: 'ollama/mistral:7b', messages: [{ role: 'user', content: 'weather?' }], tools: TOOLS })
      .catch((e: unknown) => e)) as BadRequestError;
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err.param).toBe('tools');
    expect(err.code).toBe('unsupported_parameter');
    expect(err.message).toContain('ollama/mistral:7b (the model has no tools capability in the catalog)');
    // without tools the same model answers
    const plain = await client.chat.completions.create({ model: 'ollama/mistral:7b', messages: [{ role: 'user', content: 'weather?' }] });
    expect(plain.choices[0]?.finish_reason).toBe('stop');
  });

  it('n: native on OpenAI (one call), one call per choice elsewhere (each booked)', async () => {
    const before = await rows('openai/gpt-4o-mini');
    const native = await client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'A haiku, please.' }], n: 3 });
    expect(native.choices).toHaveLength(3);
    expect(await rowsAtLeast('openai/gpt-4o-mini', before + 1)).toBe(before + 1);
    const beforeOllama = await rows('ollama/qwen3:8b');
    const { data, response } = await client.chat.completions
      .create({ model: 'ollama/qwen3:8b', messages: [{ role: 'user', content: 'A haiku, please.' }], n: 2 })
      .withResponse();
    expect(data.choices.map((c) => c.index)).toEqual([0, 1]);
    expect(await rowsAtLeast('ollama/qwen3:8b', beforeOllama + 2)).toBe(beforeOllama + 2);
    const single = await client.chat.completions.create({ model: 'ollama/qwen3:8b', messages: [{ role: 'user', content: 'A haiku, please.' }] });
    expect(data.usage?.completion_tokens).toBe(2 * (single.usage?.completion_tokens ?? 0));
    expect(response.headers.get('x-margin-cost-usd')).toEqual(expect.any(String));
  });

  it('refuses fields a model’s provider cannot take, and invalid ones, naming them', async () => {
    const refused = async (body: Record<string, unknown>) =>
      (await client.chat.completions
        .create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], ...body } as never)
        .catch((e: unknown) => e)) as BadRequestError;
    for (const [body, param] of [
      [{ model: 'anthropic/claude-haiku-4-5', logprobs: true }, 'logprobs'],
      [{ model: 'anthropic/claude-haiku-4-5', metadata: { a: 'b' } }, 'metadata'],
      [{ model: 'ollama/qwen3:8b', user: 'u' }, 'user'],
      [{ model: 'ollama/qwen3:8b', service_tier: 'flex' }, 'service_tier'],
      [{ model: 'ollama/qwen3:8b', tools: TOOLS, parallel_tool_calls: false }, 'parallel_tool_calls'],
      [{ frequency_penalty: 1 }, 'frequency_penalty'],
      [{ n: 2, stream: true }, 'n'],
      [{ n: 0 }, 'n'],
      [{ service_tier: 'gold' }, 'service_tier'],
      [
        {
          messages: [
            { role: 'user', content: 'hi' },
            { role: 'wizard', content: 'x' },
          ],
        },
        'messages[1].role',
      ],
    ] as const) {
      const err = await refused(body);
      expect([err.status, err.param]).toEqual([400, param]);
      expect(err.type).toBe('invalid_request_error');
    }
  });
});
