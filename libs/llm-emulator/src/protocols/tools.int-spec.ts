// Tool calls and the optional fields on the emulator's three protocols, read with each vendor's own SDK.
import Anthropic from '@anthropic-ai/sdk';
import { Ollama } from 'ollama';
import OpenAI, { BadRequestError } from 'openai';
import { validateJsonSchema } from '../schema-validator';
import { createEmulator, type Emulator } from '../server';

const WEATHER = { type: 'object', additionalProperties: false, required: ['city'], properties: { city: { type: 'string', minLength: 1 } } };
const TIME = { type: 'object', additionalProperties: false, required: ['zone'], properties: { zone: { type: 'string', enum: ['CET', 'UTC'] } } };
const PROMPT = 'Use get_weather and get_time for Paris.';

describe('emulator: tools and optional fields on every protocol', () => {
  let emu: Emulator;
  let url: string;
  beforeAll(async () => {
    emu = createEmulator({ timeScale: 0 });
    url = (await emu.listen(0)).url;
  });
  afterAll(() => emu.close());

  describe('OpenAI', () => {
    const tools: OpenAI.Chat.Completions.ChatCompletionFunctionTool[] = [
      { type: 'function', function: { name: 'get_weather', parameters: WEATHER } },
      { type: 'function', function: { name: 'get_time', parameters: TIME } },
    ];
    const client = () => new OpenAI({ apiKey: 'sk', baseURL: `${url}/v1`, maxRetries: 0 });
    type Fn = OpenAI.Chat.Completions.ChatCompletionMessageFunctionToolCall;

    it('auto: the named tools in parallel (finish tool_calls); one with parallel_tool_calls false; a named tool_choice ends with stop', async () => {
      const auto = await client().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: PROMPT }], tools });
      expect(auto.choices[0]?.finish_reason).toBe('tool_calls');
      const calls = auto.choices[0]?.message.tool_calls as Fn[];
      expect(calls.map((c) => c.function.name)).toEqual(['get_weather', 'get_time']);
      expect(validateJsonSchema(TIME, JSON.parse(calls[1]?.function.arguments ?? ''))).toEqual([]);
      const one = await client().chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: PROMPT }],
        tools,
        parallel_tool_calls: false,
      });
      expect(one.choices[0]?.message.tool_calls).toHaveLength(1);
      const named = await client().chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: PROMPT }],
        tools,
        tool_choice: { type: 'function', function: { name: 'get_time' } },
      });
      expect(named.choices[0]?.finish_reason).toBe('stop');
      expect((named.choices[0]?.message.tool_calls as Fn[]).map((c) => c.function.name)).toEqual(['get_time']);
    });

    it('streams parallel calls and n answers that the SDK assembles into what the plain call answers', async () => {
      const streamed = await client()
        .chat.completions.stream({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: PROMPT }], tools })
        .finalChatCompletion();
      const plain = await client().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: PROMPT }], tools });
      const args = (c: OpenAI.Chat.Completions.ChatCompletion) =>
        (c.choices[0]?.message.tool_calls as Fn[]).map((t) => [t.function.name, t.function.arguments]);
      expect(args(streamed)).toEqual(args(plain));

      const prompt: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Describe Paris in two sentences.' }];
      const many = await client().chat.completions.create({ model: 'gpt-4o-mini', messages: prompt, n: 2 });
      const manyStreamed = await client().chat.completions.stream({ model: 'gpt-4o-mini', messages: prompt, n: 2 }).finalChatCompletion();
      expect(manyStreamed.choices.map((c) => c.message.content)).toEqual(many.choices.map((c) => c.message.content));
      expect(many.choices[0]?.message.content).not.toBe(many.choices[1]?.message.content);
    });

    it('answers in words once the conversation ends with tool results, and under tool_choice none', async () => {
      const history: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [
        { role: 'user', content: PROMPT },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
        },
        { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
      ];
      const after = await client().chat.completions.create({ model: 'gpt-4o-mini', messages: history, tools });
      expect(after.choices[0]?.finish_reason).toBe('stop');
      expect(after.choices[0]?.message.tool_calls).toBeUndefined();
      const none = await client().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: PROMPT }], tools, tool_choice: 'none' });
      expect(none.choices[0]?.message.content?.length).toBeGreaterThan(10);
    });

    it('logprobs per token (streamed too), a deciding seed, and top_logprobs without logprobs refused', async () => {
      const prompt: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Describe Paris in two sentences.' }];
      const lp = await client().chat.completions.create({ model: 'gpt-4o-mini', messages: prompt, logprobs: true, top_logprobs: 4 });
      const content = lp.choices[0]?.logprobs?.content ?? [];
      expect(content.map((t) => t.token).join('')).toBe(lp.choices[0]?.message.content);
      expect(content.every((t) => t.top_logprobs.length === 4 && t.top_logprobs[0]?.token === t.token && t.top_logprobs[3]!.logprob < t.logprob)).toBe(true);
      const streamed = await client()
        .chat.completions.stream({ model: 'gpt-4o-mini', messages: prompt, logprobs: true, top_logprobs: 4 })
        .finalChatCompletion();
      expect(streamed.choices[0]?.logprobs?.content).toEqual(content);
      const seeded = async (seed: number) =>
        (await client().chat.completions.create({ model: 'gpt-4o-mini', messages: prompt, seed })).choices[0]?.message.content;
      expect(await seeded(5)).toBe(await seeded(5));
      expect(await seeded(5)).not.toBe(await seeded(6));
      const err = await client()
        .chat.completions.create({ model: 'gpt-4o-mini', messages: prompt, top_logprobs: 2 })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BadRequestError);
      expect((err as BadRequestError).param).toBe('top_logprobs');
    });
  });

  describe('Anthropic', () => {
    const tools: Anthropic.Messages.Tool[] = [
      { name: 'get_weather', input_schema: WEATHER as Anthropic.Messages.Tool.InputSchema },
      { name: 'get_time', input_schema: TIME as Anthropic.Messages.Tool.InputSchema },
    ];
    const client = () => new Anthropic({ apiKey: 'k', baseURL: url, maxRetries: 0 });

    it('streams parallel tool_use blocks (one per content index) that match the plain answer', async () => {
      const body = { model: 'claude-haiku-4-5', max_tokens: 300, messages: [{ role: 'user' as const, content: PROMPT }], tools };
      const plain = await client().messages.create(body);
      expect(plain.stop_reason).toBe('tool_use');
      const streamed = await client().messages.stream(body).finalMessage();
      const blocks = (m: Anthropic.Messages.Message) => m.content.map((b) => (b.type === 'tool_use' ? [b.name, b.input] : [b.type]));
      expect(blocks(streamed)).toEqual(blocks(plain));
      expect(blocks(plain).map((b) => b[0])).toEqual(['get_weather', 'get_time']);
      const single = await client().messages.create({ ...body, tool_choice: { type: 'any', disable_parallel_tool_use: true } });
      expect(single.content).toHaveLength(1);
    });

    it('answers in words after tool_result blocks and under tool_choice none', async () => {
      const after = await client().messages.create({
        model: 'claude-haiku-4-5',
        max_tokens: 300,
        tools,
        messages: [
          { role: 'user', content: PROMPT },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } }] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'sunny' }] },
        ],
      });
      expect(after.stop_reason).toBe('end_turn');
      expect(after.content[0]?.type).toBe('text');
      const none = await client().messages.create({
        model: 'claude-haiku-4-5',
        max_tokens: 300,
        tools,
        tool_choice: { type: 'none' },
        messages: [{ role: 'user', content: PROMPT }],
      });
      expect(none.content.map((b) => b.type)).toEqual(['text']);
    });
  });

  describe('Ollama', () => {
    const tools = [
      { type: 'function', function: { name: 'get_weather', parameters: WEATHER } },
      { type: 'function', function: { name: 'get_time', parameters: TIME } },
    ];
    const client = () => new Ollama({ host: url });

    it('answers tools with tool_calls (arguments as objects), streamed in one message, and words after a tool result', async () => {
      const plain = await client().chat({ model: 'qwen3:8b', messages: [{ role: 'user', content: PROMPT }], tools: tools as never, stream: false });
      expect(plain.message.content).toBe('');
      expect(plain.message.tool_calls?.map((c) => c.function.name)).toEqual(['get_weather', 'get_time']);
      expect(validateJsonSchema(WEATHER, plain.message.tool_calls?.[0]?.function.arguments)).toEqual([]);
      const parts = [];
      for await (const part of await client().chat({ model: 'qwen3:8b', messages: [{ role: 'user', content: PROMPT }], tools: tools as never, stream: true }))
        parts.push(part);
      const withCalls = parts.filter((p) => p.message.tool_calls?.length);
      expect(withCalls).toHaveLength(1);
      expect(withCalls[0]?.message.tool_calls).toEqual(plain.message.tool_calls);
      const after = await client().chat({
        model: 'qwen3:8b',
        tools: tools as never,
        stream: false,
        messages: [
          { role: 'user', content: PROMPT },
          { role: 'assistant', content: '', tool_calls: [{ function: { name: 'get_weather', arguments: { city: 'Paris' } } }] },
          { role: 'tool', content: 'sunny', tool_name: 'get_weather' },
        ],
      });
      expect(after.message.tool_calls).toBeUndefined();
      expect(after.message.content.length).toBeGreaterThan(10);
    });

    it('options.seed decides the answer', async () => {
      const ask = async (seed: number) =>
        (
          await client().chat({
            model: 'qwen3:8b',
            messages: [{ role: 'user', content: 'Describe Paris in two sentences.' }],
            options: { seed },
            stream: false,
          })
        ).message.content;
      expect(await ask(1)).toBe(await ask(1));
      expect(await ask(1)).not.toBe(await ask(2));
    });
  });
});
