import OpenAI, { APIConnectionError, AuthenticationError, InternalServerError, NotFoundError, RateLimitError } from 'openai';
import { createEmulator, type Emulator } from '../server';
import { validateJsonSchema } from '../schema-validator';

const SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['title', 'mood', 'themes', 'year', 'reviewed_at'],
  properties: {
    title: { type: 'string', minLength: 1 },
    mood: { type: 'string', enum: ['joyful', 'melancholic', 'calm'] },
    themes: { type: 'array', items: { type: 'string' }, minItems: 2, maxItems: 4 },
    year: { type: 'integer', minimum: 1960, maximum: 1970 },
    reviewed_at: { type: 'string', format: 'date-time' },
  },
};
const PROMPT = [
  { role: 'system' as const, content: 'You are a music critic.' },
  { role: 'user' as const, content: 'Analyze the song "Yesterday" by the Beatles.' },
];

describe('OpenAI protocol (official openai SDK)', () => {
  let emu: Emulator;
  let client: OpenAI;

  beforeAll(async () => {
    emu = createEmulator({
      timeScale: 0,
      models: [
        { name: 'rpm-one', protocol: 'openai', rpm: 1, tpm: 100000 },
        { name: 'tpm-small', protocol: 'openai', tpm: 300 },
      ],
    });
    const { url } = await emu.listen(0);
    client = new OpenAI({ apiKey: 'sk-test', baseURL: `${url}/v1`, maxRetries: 0 });
  });
  afterAll(() => emu.close());

  it('answers a plain chat completion with usage and the emulator header', async () => {
    const { data, response } = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: PROMPT }).withResponse();
    expect(response.headers.get('x-margin-emulator')).toBe('1');
    expect(response.headers.get('x-ratelimit-limit-requests')).toBe('500');
    expect(Number(response.headers.get('x-ratelimit-remaining-requests'))).toBeLessThan(500);
    expect(response.headers.get('x-ratelimit-reset-requests')).toMatch(/^\d+(ms|s)$|m/);
    expect(response.headers.get('x-ratelimit-limit-tokens')).toBe('200000');
    expect(data.object).toBe('chat.completion');
    const choice = data.choices[0]!;
    expect(choice.finish_reason).toBe('stop');
    expect(choice.message.role).toBe('assistant');
    expect(choice.message.content!.length).toBeGreaterThan(20);
    expect(data.usage).toMatchObject({
      prompt_tokens: expect.any(Number),
      completion_tokens: expect.any(Number),
      prompt_tokens_details: { cached_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0 },
    });
    expect(data.usage!.total_tokens).toBe(data.usage!.prompt_tokens + data.usage!.completion_tokens);
    // deterministic
    const again = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: PROMPT });
    expect(again.choices[0]!.message.content).toBe(choice.message.content);
    expect(again.usage).toEqual(data.usage);
  });

  it('streams with a final usage chunk (stream_options.include_usage)', async () => {
    const plain = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: PROMPT });
    const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: PROMPT, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | null | undefined;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      if (chunk.choices.length > 0) {
        text += chunk.choices[0]!.delta.content ?? '';
        finish = chunk.choices[0]!.finish_reason ?? finish;
      }
      if (chunk.usage) usage = chunk.usage;
    }
    expect(chunks).toBeGreaterThan(3);
    expect(text).toBe(plain.choices[0]!.message.content);
    expect(finish).toBe('stop');
    expect(usage).toEqual(plain.usage);
  });

  it('returns JSON valid against response_format json_schema', async () => {
    const r = await client.chat.completions.create({
      model: 'gpt-4.1-mini',
      messages: PROMPT,
      response_format: { type: 'json_schema', json_schema: { name: 'song', schema: SCHEMA, strict: true } },
    });
    const value = JSON.parse(r.choices[0]!.message.content!) as unknown;
    expect(validateJsonSchema(SCHEMA, value)).toEqual([]);
    expect(r.usage!.prompt_tokens).toBeGreaterThan(JSON.stringify(SCHEMA).length / 4);
  });

  it('supports json_object mode (and requires the word json)', async () => {
    const r = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Reply in JSON with "title" and "rating".' }],
      response_format: { type: 'json_object' },
    });
    expect(Object.keys(JSON.parse(r.choices[0]!.message.content!) as object)).toEqual(['title', 'rating']);
    await expect(
      client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], response_format: { type: 'json_object' } }),
    ).rejects.toMatchObject({ status: 400 });
  });

  it('answers forced tool calls with schema-valid arguments', async () => {
    const r = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: PROMPT,
      tools: [{ type: 'function', function: { name: 'record_song', parameters: SCHEMA } }],
      tool_choice: { type: 'function', function: { name: 'record_song' } },
    });
    const call = r.choices[0]!.message.tool_calls![0]!;
    expect(call.type).toBe('function');
    if (call.type !== 'function') throw new Error('expected a function call');
    expect(call.function.name).toBe('record_song');
    expect(validateJsonSchema(SCHEMA, JSON.parse(call.function.arguments))).toEqual([]);
  });

  it('respects max_tokens with finish_reason length', async () => {
    const r = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: PROMPT, max_tokens: 5 });
    expect(r.choices[0]!.finish_reason).toBe('length');
    expect(r.usage!.completion_tokens).toBe(5);
  });

  it('lists models and rejects unknown ones with model_not_found', async () => {
    const ids = [];
    for await (const m of client.models.list()) ids.push(m.id);
    expect(ids).toEqual(expect.arrayContaining(['qwen3:8b', 'gpt-4o-mini', 'gpt-4.1-mini', 'gpt-4o', 'claude-haiku-4-5']));
    const err = await client.chat.completions.create({ model: 'gpt-9', messages: PROMPT }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as NotFoundError).code).toBe('model_not_found');
  });

  it('answers a fine-tuned ft: id like its base, structured output included, and describes it at /v1/models/:id', async () => {
    const id = 'ft:gpt-4o-mini-2024-07-18:acme:songs:AbC123';
    const r = await client.chat.completions.create({
      model: id,
      messages: PROMPT,
      response_format: { type: 'json_schema', json_schema: { name: 'review', schema: SCHEMA, strict: true } },
    });
    expect(r.model).toBe(id);
    expect(validateJsonSchema(SCHEMA, JSON.parse(r.choices[0]?.message.content ?? ''))).toEqual([]);
    expect(await client.models.retrieve(id)).toMatchObject({ id, object: 'model' });
    const unknownBase = await client.chat.completions.create({ model: 'ft:gpt-9-2025-01-01:acme::x1', messages: PROMPT }).catch((e: unknown) => e);
    expect((unknownBase as NotFoundError).code).toBe('model_not_found');
  });

  it('returns 429 with retry-after and x-ratelimit headers when RPM is exhausted', async () => {
    await client.chat.completions.create({ model: 'rpm-one', messages: PROMPT });
    const err = await client.chat.completions.create({ model: 'rpm-one', messages: PROMPT }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    const e = err as RateLimitError;
    expect(e.status).toBe(429);
    expect(Number(e.headers?.get('retry-after'))).toBeGreaterThanOrEqual(59);
    expect(e.headers?.get('x-ratelimit-limit-requests')).toBe('1');
    expect(e.headers?.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(e.headers?.get('x-ratelimit-reset-requests')).toMatch(/s$/);
    expect(e.headers?.get('x-ratelimit-remaining-tokens')).not.toBeNull();
    expect(e.code).toBe('rate_limit_exceeded');
    expect(e.type).toBe('requests');
  });

  it('returns 429 on TPM exhaustion and on request (x-emulator-fault: 429)', async () => {
    const tpm = await client.chat.completions.create({ model: 'tpm-small', messages: PROMPT, max_tokens: 1000 }).catch((e: unknown) => e);
    expect(tpm).toBeInstanceOf(RateLimitError);
    expect((tpm as RateLimitError).type).toBe('tokens');
    const forced = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: PROMPT }, { headers: { 'x-emulator-fault': '429' } })
      .catch((e: unknown) => e);
    expect(forced).toBeInstanceOf(RateLimitError);
    expect((forced as RateLimitError).headers?.get('retry-after')).toBe('1');
    expect((forced as RateLimitError).headers?.get('x-ratelimit-remaining-requests')).toBe('0');
  });

  it('injects 500, 503 and 401 in the OpenAI error shape', async () => {
    const e500 = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: PROMPT }, { headers: { 'x-emulator-fault': '500' } })
      .catch((e: unknown) => e);
    expect(e500).toBeInstanceOf(InternalServerError);
    expect((e500 as InternalServerError).status).toBe(500);
    expect((e500 as InternalServerError).type).toBe('server_error');
    expect((e500 as InternalServerError).headers?.get('x-margin-emulator')).toBe('1');
    const e503 = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: PROMPT }, { headers: { 'x-emulator-fault': '503' } })
      .catch((e: unknown) => e);
    expect((e503 as InternalServerError).status).toBe(503);
    const e401 = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: PROMPT }, { headers: { 'x-emulator-fault': '401' } })
      .catch((e: unknown) => e);
    expect(e401).toBeInstanceOf(AuthenticationError);
    expect((e401 as AuthenticationError).code).toBe('invalid_api_key');
  });

  it('checks API keys when configured', async () => {
    emu.configure({ apiKeys: ['sk-good'] });
    try {
      await expect(client.chat.completions.create({ model: 'gpt-4o-mini', messages: PROMPT })).rejects.toBeInstanceOf(AuthenticationError);
      const good = new OpenAI({ apiKey: 'sk-good', baseURL: client.baseURL, maxRetries: 0 });
      await expect(good.chat.completions.create({ model: 'gpt-4o-mini', messages: PROMPT })).resolves.toHaveProperty('object', 'chat.completion');
    } finally {
      emu.configure({ apiKeys: [] });
    }
  });

  it('cuts a stream mid-way: the SDK stream throws and no usage arrives', async () => {
    const stream = await client.chat.completions.create(
      { model: 'gpt-4o-mini', messages: PROMPT, stream: true, stream_options: { include_usage: true } },
      { headers: { 'x-emulator-fault': 'stream-cut' } },
    );
    let usage: unknown;
    let text = '';
    const consume = async (): Promise<void> => {
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? '';
        usage = chunk.usage ?? usage;
      }
    };
    await expect(consume()).rejects.toThrow();
    expect(usage).toBeUndefined();
    expect(text.length).toBeGreaterThan(0);
  });

  it('cuts a non-streaming answer mid-body', async () => {
    await expect(
      client.chat.completions.create({ model: 'gpt-4o-mini', messages: PROMPT }, { headers: { 'x-emulator-fault': 'stream-cut' } }),
    ).rejects.toThrow();
  });

  it('returns unparseable content for malformed-json and schema-violating JSON for schema-violation', async () => {
    const body = {
      model: 'gpt-4o-mini',
      messages: PROMPT,
      response_format: { type: 'json_schema' as const, json_schema: { name: 'song', schema: SCHEMA, strict: true } },
    };
    const bad = await client.chat.completions.create(body, { headers: { 'x-emulator-fault': 'malformed-json' } });
    expect(() => JSON.parse(bad.choices[0]!.message.content!) as unknown).toThrow();
    const violating = await client.chat.completions.create(body, { headers: { 'x-emulator-fault': 'schema-violation' } });
    expect(validateJsonSchema(SCHEMA, JSON.parse(violating.choices[0]!.message.content!)).length).toBeGreaterThan(0);
  });

  it('hangs until the SDK times out', async () => {
    const started = Date.now();
    const err = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: PROMPT }, { headers: { 'x-emulator-fault': 'hang' }, timeout: 300 })
      .catch((e: unknown) => e);
    // Outside Jest this is APIConnectionTimeoutError. Inside Jest's sandbox the fetch AbortError is a
    // DOMException from another realm, which the SDK's castToError() wraps without its name, so only the
    // parent class APIConnectionError is observable here; the elapsed time shows it was the timeout.
    expect(err).toBeInstanceOf(APIConnectionError);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(3000);
  });

  it('applies scheduled faults (setFault) for a number of requests', async () => {
    emu.setFault('503', { model: 'gpt-4o', times: 1 });
    await expect(client.chat.completions.create({ model: 'gpt-4o', messages: PROMPT })).rejects.toMatchObject({ status: 503 });
    await expect(client.chat.completions.create({ model: 'gpt-4o', messages: PROMPT })).resolves.toHaveProperty('object', 'chat.completion');
  });

  it('reports cached prompt tokens for a repeated long prefix', async () => {
    const system = `You are a careful analyst. ${'Background material about the catalogue. '.repeat(120)}`;
    const ask = (q: string): Promise<OpenAI.ChatCompletion> =>
      client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [
          { role: 'system', content: system },
          { role: 'user', content: q },
        ],
      });
    const first = await ask('First question about the catalogue?');
    const second = await ask('Second question about the catalogue?');
    expect(first.usage!.prompt_tokens_details!.cached_tokens).toBe(0);
    expect(second.usage!.prompt_tokens_details!.cached_tokens).toBeGreaterThanOrEqual(1024);
    expect(second.usage!.prompt_tokens_details!.cached_tokens! % 128).toBe(0);
    expect(second.usage!.prompt_tokens_details!.cached_tokens).toBeLessThanOrEqual(second.usage!.prompt_tokens);
  });
});
