// The /v1 gateway as a drop-in for the clients people use: the official `openai` SDK, LangChain's ChatOpenAI
// and the Vercel AI SDK (`@ai-sdk/openai`'s chat models), pointed at a real Margin stack (the built API on a
// fresh database, the LLM emulator behind it speaking the OpenAI, Anthropic and Ollama protocols). The stack
// starts once (building it may take minutes on a busy machine); the calls themselves take seconds.
import { createOpenAI } from '@ai-sdk/openai';
import { tool as langchainTool } from '@langchain/core/tools';
import { ChatOpenAI } from '@langchain/openai';
import { generateObject, generateText, jsonSchema, stepCountIs, streamText, tool } from 'ai';
import OpenAI, { BadRequestError } from 'openai';
import { z } from 'zod';
import { startCluster, type Cluster } from './support/cluster';

const WEATHER_PARAMS = {
  type: 'object',
  additionalProperties: false,
  required: ['city', 'unit'],
  properties: { city: { type: 'string', minLength: 1 }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } },
} as const;
const TIME_PARAMS = { type: 'object', additionalProperties: false, required: ['city'], properties: { city: { type: 'string', minLength: 1 } } } as const;
const TOOLS: OpenAI.Chat.Completions.ChatCompletionFunctionTool[] = [
  { type: 'function', function: { name: 'get_weather', description: 'The weather in a city', parameters: WEATHER_PARAMS } },
  { type: 'function', function: { name: 'get_time', description: 'The local time in a city', parameters: TIME_PARAMS } },
];
const SONG = {
  type: 'object',
  additionalProperties: false,
  required: ['title', 'mood', 'year'],
  properties: {
    title: { type: 'string' },
    mood: { type: 'string', enum: ['joyful', 'melancholic', 'calm'] },
    year: { type: 'integer', minimum: 1960, maximum: 1970 },
  },
} as const;
const MODEL = 'openai/gpt-4o-mini';

describe('/v1 compatibility: openai SDK, LangChain and the AI SDK against a real stack', () => {
  let c: Cluster;
  let key: string;
  let client: OpenAI;

  beforeAll(async () => {
    c = await startCluster({
      workers: 0,
      emulator: { timeScale: 0 },
      env: { ...(process.env.E2E_REDIS_URL ? { REDIS_URL: process.env.E2E_REDIS_URL } : {}) },
    });
    const created = await c.api<{ key: string }>('POST', '/api/v1/api-keys', { name: 'v1 compat' }, { authorization: `Bearer ${c.owner.token}` });
    expect(created.status).toBe(201);
    key = created.body.key;
    client = new OpenAI({ apiKey: key, baseURL: `${c.url}/v1`, maxRetries: 0 });
  }, 600_000);
  afterAll(async () => {
    await c?.stop();
  });

  /** Ledger rows of this key's calls on a model (the gateway books them just after answering). */
  async function ledgerRows(model: string): Promise<number> {
    const r = await c.db.query<{ n: string }>(`SELECT count(*) AS n FROM llm_calls WHERE model_id = $1 AND outcome = 'success'`, [model]);
    return Number(r.rows[0]?.n ?? 0);
  }
  async function waitForRows(model: string, atLeast: number): Promise<number> {
    for (let i = 0; i < 50; i++) {
      const n = await ledgerRows(model);
      if (n >= atLeast) return n;
      await new Promise((r) => setTimeout(r, 50));
    }
    return ledgerRows(model);
  }

  describe('official openai SDK', () => {
    it('chats, and streams with a usage chunk', async () => {
      const plain = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Say hello in two sentences.' }] });
      expect(plain.choices[0]?.message.content?.length).toBeGreaterThan(10);
      expect(plain.choices[0]?.finish_reason).toBe('stop');
      const stream = await client.chat.completions.create({
        model: MODEL,
        messages: [{ role: 'user', content: 'Say hello in two sentences.' }],
        stream: true,
        stream_options: { include_usage: true },
      });
      let text = '';
      let usage: OpenAI.Completions.CompletionUsage | undefined;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? '';
        if (chunk.usage) usage = chunk.usage;
      }
      expect(text).toBe(plain.choices[0]?.message.content);
      expect(usage?.completion_tokens).toBeGreaterThan(0);
    });

    it('gives structured output under json_schema and json_object', async () => {
      const schema = await client.chat.completions.create({
        model: MODEL,
        messages: [{ role: 'user', content: 'Describe the song Yesterday.' }],
        response_format: { type: 'json_schema', json_schema: { name: 'song', schema: SONG, strict: true } },
      });
      const song = JSON.parse(schema.choices[0]?.message.content ?? '') as { year: number; mood: string };
      expect(song.year).toBeGreaterThanOrEqual(1960);
      expect(['joyful', 'melancholic', 'calm']).toContain(song.mood);
      const object = await client.chat.completions.create({
        model: MODEL,
        messages: [{ role: 'user', content: 'Describe the song Yesterday as a JSON object.' }],
        response_format: { type: 'json_object' },
      });
      expect(typeof JSON.parse(object.choices[0]?.message.content ?? '')).toBe('object');
    });

    it('calls a single tool, several in parallel, the required one and the named one', async () => {
      const single = await client.chat.completions.create({
        model: MODEL,
        messages: [{ role: 'user', content: 'What is the get_weather in Paris?' }],
        tools: TOOLS,
      });
      expect(single.choices[0]?.finish_reason).toBe('tool_calls');
      expect(single.choices[0]?.message.content).toBeNull();
      const call = single.choices[0]?.message.tool_calls?.[0] as OpenAI.Chat.Completions.ChatCompletionMessageFunctionToolCall;
      expect(call.function.name).toBe('get_weather');
      expect(JSON.parse(call.function.arguments)).toEqual({ city: expect.any(String), unit: expect.stringMatching(/^(celsius|fahrenheit)$/) });

      const parallel = await client.chat.completions.create({
        model: MODEL,
        messages: [{ role: 'user', content: 'Use get_weather and get_time for Oslo.' }],
        tools: TOOLS,
      });
      expect(parallel.choices[0]?.message.tool_calls?.map((t) => (t as OpenAI.Chat.Completions.ChatCompletionMessageFunctionToolCall).function.name)).toEqual([
        'get_weather',
        'get_time',
      ]);
      const one = await client.chat.completions.create({
        model: MODEL,
        messages: [{ role: 'user', content: 'Use get_weather and get_time for Oslo.' }],
        tools: TOOLS,
        parallel_tool_calls: false,
      });
      expect(one.choices[0]?.message.tool_calls).toHaveLength(1);

      const required = await client.chat.completions.create({
        model: MODEL,
        messages: [{ role: 'user', content: 'Hello there.' }],
        tools: TOOLS,
        tool_choice: 'required',
      });
      expect(required.choices[0]?.message.tool_calls?.length).toBeGreaterThanOrEqual(1);
      const named = await client.chat.completions.create({
        model: MODEL,
        messages: [{ role: 'user', content: 'Hello there.' }],
        tools: TOOLS,
        tool_choice: { type: 'function', function: { name: 'get_time' } },
      });
      const namedCall = named.choices[0]?.message.tool_calls?.[0] as OpenAI.Chat.Completions.ChatCompletionMessageFunctionToolCall;
      expect(namedCall.function.name).toBe('get_time');
      const none = await client.chat.completions.create({
        model: MODEL,
        messages: [{ role: 'user', content: 'What is the get_weather in Paris?' }],
        tools: TOOLS,
        tool_choice: 'none',
      });
      expect(none.choices[0]?.message.tool_calls).toBeUndefined();
      expect(none.choices[0]?.finish_reason).toBe('stop');
    });

    it('streams tool calls in OpenAI’s chunk format', async () => {
      const stream = client.chat.completions.stream({
        model: MODEL,
        messages: [{ role: 'user', content: 'Use get_weather and get_time for Rome.' }],
        tools: TOOLS,
      });
      let toolChunks = 0;
      stream.on('chunk', (chunk) => {
        if (chunk.choices[0]?.delta.tool_calls?.length) toolChunks++;
      });
      const final = await stream.finalChatCompletion();
      expect(toolChunks).toBeGreaterThanOrEqual(4);
      expect(final.choices[0]?.finish_reason).toBe('tool_calls');
      const calls = (final.choices[0]?.message.tool_calls ?? []) as OpenAI.Chat.Completions.ChatCompletionMessageFunctionToolCall[];
      expect(calls.map((t) => t.function.name)).toEqual(['get_weather', 'get_time']);
      for (const t of calls) expect(typeof JSON.parse(t.function.arguments)).toBe('object');
    });

    it('answers after tool results in the history, and runTools runs the loop', async () => {
      const messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [{ role: 'user', content: 'What is the get_weather in Paris?' }];
      const first = await client.chat.completions.create({ model: MODEL, messages, tools: TOOLS });
      const assistant = first.choices[0]?.message as OpenAI.Chat.Completions.ChatCompletionMessage;
      messages.push(assistant, { role: 'tool', tool_call_id: assistant.tool_calls?.[0]?.id ?? '', content: '{"temperature": 21}' });
      const answer = await client.chat.completions.create({ model: MODEL, messages, tools: TOOLS });
      expect(answer.choices[0]?.finish_reason).toBe('stop');
      expect(answer.choices[0]?.message.content?.length).toBeGreaterThan(10);

      const calls: string[] = [];
      const runner = client.chat.completions.runTools({
        model: MODEL,
        messages: [{ role: 'user', content: 'What is the get_weather in Lisbon?' }],
        tools: [
          {
            type: 'function',
            function: {
              name: 'get_weather',
              description: 'The weather in a city',
              parameters: WEATHER_PARAMS as unknown as Record<string, unknown>,
              parse: (text: string) => JSON.parse(text) as { city: string },
              function: (args: { city: string }) => {
                calls.push(args.city);
                return { temperature: 25 };
              },
            },
          },
        ],
      });
      const content = await runner.finalContent();
      expect(calls).toHaveLength(1);
      expect(content?.length).toBeGreaterThan(10);
    });

    it('calls tools on Anthropic and Ollama models too, plain and streamed', async () => {
      for (const model of ['anthropic/claude-haiku-4-5', 'ollama/qwen3:8b']) {
        const plain = await client.chat.completions.create({
          model,
          messages: [{ role: 'user', content: 'Use get_weather and get_time for Oslo.' }],
          tools: TOOLS,
        });
        expect(plain.choices[0]?.finish_reason).toBe('tool_calls');
        expect(plain.choices[0]?.message.tool_calls).toHaveLength(2);
        const streamed = await client.chat.completions
          .stream({
            model,
            messages: [{ role: 'user', content: 'Use get_weather for Oslo.' }],
            tools: TOOLS,
            tool_choice: { type: 'function', function: { name: 'get_weather' } },
          })
          .finalChatCompletion();
        const call = streamed.choices[0]?.message.tool_calls?.[0] as OpenAI.Chat.Completions.ChatCompletionMessageFunctionToolCall;
        expect(call.function.name).toBe('get_weather');
        expect(JSON.parse(call.function.arguments)).toMatchObject({ city: expect.any(String) });
      }
    });

    it('honours n (natively, or one call per choice, each booked), stop, logprobs and seed', async () => {
      const prompt: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Tell me about Paris in two sentences.' }];
      const native = await client.chat.completions.create({ model: MODEL, messages: prompt, n: 3 });
      expect(native.choices.map((ch) => ch.index)).toEqual([0, 1, 2]);
      expect(new Set(native.choices.map((ch) => ch.message.content)).size).toBe(3);

      const anthropic = 'anthropic/claude-haiku-4-5';
      const before = await ledgerRows(anthropic);
      const emulatedN = await client.chat.completions.create({ model: anthropic, messages: prompt, n: 2 });
      expect(emulatedN.choices).toHaveLength(2);
      expect(await waitForRows(anthropic, before + 2)).toBe(before + 2);

      const full = native.choices[0]?.message.content ?? '';
      const word = full.split(/\s+/)[2] as string;
      const cut = await client.chat.completions.create({ model: MODEL, messages: prompt, stop: [word] });
      expect(cut.choices[0]?.message.content).toBe(full.slice(0, full.indexOf(word)));

      const lp = await client.chat.completions.create({ model: MODEL, messages: prompt, logprobs: true, top_logprobs: 2 });
      const tokens = lp.choices[0]?.logprobs?.content ?? [];
      expect(tokens.map((t) => t.token).join('')).toBe(lp.choices[0]?.message.content);
      expect(tokens[0]?.top_logprobs).toHaveLength(2);

      const s1 = await client.chat.completions.create({ model: MODEL, messages: prompt, seed: 11, user: 'u-1', metadata: { suite: 'compat' } });
      const s1again = await client.chat.completions.create({ model: MODEL, messages: prompt, seed: 11 });
      const s2 = await client.chat.completions.create({ model: MODEL, messages: prompt, seed: 12 });
      expect(s1.choices[0]?.message.content).toBe(s1again.choices[0]?.message.content);
      expect(s1.choices[0]?.message.content).not.toBe(s2.choices[0]?.message.content);
    });

    it('refuses what it cannot honour with a 400 naming the parameter', async () => {
      const refused = async (body: Record<string, unknown>): Promise<BadRequestError> => {
        const err = await client.chat.completions
          .create({
            model: MODEL,
            messages: [{ role: 'user', content: 'hi' }],
            ...body,
          } as unknown as OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming)
          .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(BadRequestError);
        return err as BadRequestError;
      };
      expect((await refused({ model: 'anthropic/claude-haiku-4-5', seed: 1 })).param).toBe('seed');
      expect((await refused({ model: 'ollama/qwen3:8b', logprobs: true })).param).toBe('logprobs');
      const topP = await refused({ top_p: 0.2 });
      expect(topP.param).toBe('top_p');
      expect(topP.error).toMatchObject({ type: 'invalid_request_error', code: 'unsupported_parameter' });
      expect((await refused({ tool_choice: 'required' })).param).toBe('tool_choice');
      expect((await refused({ messages: [{ role: 'tool', content: 'x' }] })).param).toBe('messages[0].tool_call_id');
    });
  });

  describe('LangChain ChatOpenAI', () => {
    const llm = () => new ChatOpenAI({ model: MODEL, apiKey: key, configuration: { baseURL: `${c.url}/v1` }, maxRetries: 0 });
    const Song = z.object({ title: z.string(), mood: z.enum(['joyful', 'melancholic', 'calm']), year: z.number().int().min(1960).max(1970) });

    it('invokes and streams', async () => {
      const answer = await llm().invoke('Say hello in two sentences.');
      expect(String(answer.content).length).toBeGreaterThan(10);
      let streamed = '';
      for await (const chunk of await llm().stream('Say hello in two sentences.')) streamed += String(chunk.content);
      expect(streamed).toBe(answer.content);
    });

    it('binds tools and gets tool_calls back', async () => {
      const getWeather = langchainTool(async ({ city }: { city: string }) => `sunny in ${city}`, {
        name: 'get_weather',
        description: 'The weather in a city',
        schema: z.object({ city: z.string(), unit: z.enum(['celsius', 'fahrenheit']) }),
      });
      const message = await llm().bindTools([getWeather]).invoke('What is the get_weather in Paris?');
      expect(message.tool_calls?.[0]).toMatchObject({ name: 'get_weather', args: { city: expect.any(String) } });
    });

    it('gives structured output through jsonSchema, functionCalling and jsonMode', async () => {
      for (const method of ['jsonSchema', 'functionCalling'] as const) {
        const song = await llm().withStructuredOutput(Song, { method, name: 'song' }).invoke('Describe the song Yesterday.');
        expect(Song.safeParse(song).success).toBe(true);
      }
      // JSON mode promises a JSON object, not a shape: the emulated model writes one of its own
      const anyObject = z.record(z.string(), z.unknown());
      const json = await llm().withStructuredOutput(anyObject, { method: 'jsonMode' }).invoke('Describe the song Yesterday as JSON.');
      expect(Object.keys(json).length).toBeGreaterThan(0);
    });
  });

  describe('Vercel AI SDK (@ai-sdk/openai chat models)', () => {
    const model = () => createOpenAI({ apiKey: key, baseURL: `${c.url}/v1` }).chat(MODEL);

    it('generates and streams text', async () => {
      const { text, finishReason, usage } = await generateText({ model: model(), prompt: 'Say hello in two sentences.' });
      expect(text.length).toBeGreaterThan(10);
      expect(finishReason).toBe('stop');
      expect(usage.outputTokens).toBeGreaterThan(0);
      const result = streamText({ model: model(), prompt: 'Say hello in two sentences.' });
      let streamed = '';
      for await (const piece of result.textStream) streamed += piece;
      expect(streamed).toBe(text);
      expect((await result.usage).outputTokens).toBeGreaterThan(0);
    });

    it('runs tools across steps', async () => {
      const cities: string[] = [];
      const result = await generateText({
        model: model(),
        prompt: 'What is the get_weather in Madrid?',
        tools: {
          get_weather: tool({
            description: 'The weather in a city',
            inputSchema: jsonSchema<{ city: string; unit: string }>(WEATHER_PARAMS as never),
            execute: async ({ city }) => {
              cities.push(city);
              return { temperature: 30 };
            },
          }),
        },
        stopWhen: stepCountIs(3),
      });
      expect(cities).toHaveLength(1);
      expect(result.steps[0]?.finishReason).toBe('tool-calls');
      expect(result.finishReason).toBe('stop');
      expect(result.text.length).toBeGreaterThan(10);

      const streamed = streamText({
        model: model(),
        prompt: 'What is the get_weather in Madrid?',
        tools: {
          get_weather: tool({ description: 'The weather in a city', inputSchema: z.object({ city: z.string(), unit: z.enum(['celsius', 'fahrenheit']) }) }),
        },
      });
      const toolCalls = await streamed.toolCalls;
      expect(toolCalls.map((t) => t.toolName)).toEqual(['get_weather']);
    });

    it('generates objects', async () => {
      const { object } = await generateObject({
        model: model(),
        schema: z.object({ title: z.string(), mood: z.enum(['joyful', 'melancholic', 'calm']), year: z.number().int().min(1960).max(1970) }),
        prompt: 'Describe the song Yesterday.',
      });
      expect(object.year).toBeGreaterThanOrEqual(1960);
    });
  });
});
