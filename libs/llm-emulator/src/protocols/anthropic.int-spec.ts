import Anthropic, { APIConnectionError, AuthenticationError, InternalServerError, NotFoundError, RateLimitError } from '@anthropic-ai/sdk';
import { createEmulator, type Emulator } from '../server';
import { validateJsonSchema } from '../schema-validator';

const INPUT_SCHEMA = {
  type: 'object' as const,
  additionalProperties: false,
  required: ['title', 'mood', 'themes', 'score', 'contact'],
  properties: {
    title: { type: 'string', minLength: 1 },
    mood: { type: 'string', enum: ['joyful', 'melancholic', 'calm'] },
    themes: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 3 },
    score: { type: 'number', minimum: 0, maximum: 1 },
    contact: { $ref: '#/$defs/contact' },
  },
  $defs: {
    contact: {
      type: 'object',
      properties: { email: { type: 'string', format: 'email' }, url: { type: ['string', 'null'], format: 'uri' } },
      required: ['email'],
    },
  },
};
const SYSTEM = 'You are a music critic.';
const MESSAGES: Anthropic.MessageParam[] = [{ role: 'user', content: 'Analyze the song "Yesterday" by the Beatles.' }];

describe('Anthropic protocol (official @anthropic-ai/sdk)', () => {
  let emu: Emulator;
  let url: string;
  let client: Anthropic;

  beforeAll(async () => {
    emu = createEmulator({ timeScale: 0, models: [{ name: 'claude-rpm-one', protocol: 'anthropic', rpm: 1, tpm: 50000 }] });
    ({ url } = await emu.listen(0));
    client = new Anthropic({ apiKey: 'sk-ant-test', baseURL: url, maxRetries: 0 });
  });
  afterAll(() => emu.close());

  it('answers messages.create with text and usage', async () => {
    const { data, response } = await client.messages.create({ model: 'claude-haiku-4-5', max_tokens: 1024, system: SYSTEM, messages: MESSAGES }).withResponse();
    expect(response.headers.get('x-margin-emulator')).toBe('1');
    expect(response.headers.get('request-id')).toMatch(/^req_/);
    expect(response.headers.get('anthropic-ratelimit-requests-limit')).toBe('50');
    expect(response.headers.get('anthropic-ratelimit-requests-remaining')).toBe('49');
    expect(Date.parse(response.headers.get('anthropic-ratelimit-requests-reset')!)).not.toBeNaN();
    expect(response.headers.get('anthropic-ratelimit-tokens-limit')).toBe('50000');
    expect(data.type).toBe('message');
    expect(data.role).toBe('assistant');
    expect(data.stop_reason).toBe('end_turn');
    expect(data.content[0]!.type).toBe('text');
    expect(data.usage).toMatchObject({
      input_tokens: expect.any(Number),
      output_tokens: expect.any(Number),
      cache_read_input_tokens: 0,
      cache_creation_input_tokens: 0,
    });
  });

  it('streams message_start … message_stop with usage, matching the non-streamed answer', async () => {
    const plain = await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 1024, system: SYSTEM, messages: MESSAGES });
    const stream = client.messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 1024, system: SYSTEM, messages: MESSAGES });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    const final = await stream.finalMessage();
    const distinct = types.filter((t, i) => t !== types[i - 1]);
    expect(distinct).toEqual(['message_start', 'content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']);
    expect(final.content).toEqual(plain.content);
    expect(final.usage.input_tokens).toBe(plain.usage.input_tokens);
    expect(final.usage.output_tokens).toBe(plain.usage.output_tokens);
    expect(final.stop_reason).toBe('end_turn');
  });

  it('answers forced tool use with a tool_use block valid against input_schema', async () => {
    const tools: Anthropic.Tool[] = [
      { name: 'other_tool', description: 'unused', input_schema: { type: 'object', properties: { q: { type: 'string' } } } },
      { name: 'record_song', description: 'Record the analysis', input_schema: INPUT_SCHEMA },
    ];
    const msg = await client.messages.create({
      model: 'claude-haiku-4-5',
      max_tokens: 1024,
      system: SYSTEM,
      messages: MESSAGES,
      tools,
      tool_choice: { type: 'tool', name: 'record_song' },
    });
    expect(msg.stop_reason).toBe('tool_use');
    const block = msg.content[0]!;
    expect(block.type).toBe('tool_use');
    if (block.type !== 'tool_use') throw new Error('expected tool_use');
    expect(block.name).toBe('record_song');
    expect(block.id).toMatch(/^toolu_/);
    expect(validateJsonSchema(INPUT_SCHEMA, block.input)).toEqual([]);

    // streamed tool use arrives as input_json_delta and parses to the same input
    const stream = client.messages.stream({
      model: 'claude-haiku-4-5',
      max_tokens: 1024,
      system: SYSTEM,
      messages: MESSAGES,
      tools,
      tool_choice: { type: 'tool', name: 'record_song' },
    });
    const final = await stream.finalMessage();
    const streamed = final.content[0]!;
    expect(streamed.type === 'tool_use' && streamed.input).toEqual(block.input);
  });

  it('cuts at max_tokens with stop_reason max_tokens', async () => {
    const msg = await client.messages.create({ model: 'claude-haiku-4-5', max_tokens: 6, messages: MESSAGES });
    expect(msg.stop_reason).toBe('max_tokens');
    expect(msg.usage.output_tokens).toBe(6);
  });

  it('accepts x-api-key and Authorization: Bearer when keys are configured', async () => {
    emu.configure({ apiKeys: ['good-key'] });
    try {
      const viaKey = new Anthropic({ apiKey: 'good-key', baseURL: url, maxRetries: 0 });
      const viaBearer = new Anthropic({ apiKey: null, authToken: 'good-key', baseURL: url, maxRetries: 0 });
      await expect(viaKey.messages.create({ model: 'claude-haiku-4-5', max_tokens: 20, messages: MESSAGES })).resolves.toHaveProperty('type', 'message');
      await expect(viaBearer.messages.create({ model: 'claude-haiku-4-5', max_tokens: 20, messages: MESSAGES })).resolves.toHaveProperty('type', 'message');
      const err = await client.messages.create({ model: 'claude-haiku-4-5', max_tokens: 20, messages: MESSAGES }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AuthenticationError);
      expect((err as AuthenticationError).error).toEqual({ type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } });
    } finally {
      emu.configure({ apiKeys: [] });
    }
  });

  it('returns 429 rate_limit_error with retry-after and anthropic-ratelimit headers', async () => {
    await client.messages.create({ model: 'claude-rpm-one', max_tokens: 20, messages: MESSAGES });
    const err = await client.messages.create({ model: 'claude-rpm-one', max_tokens: 20, messages: MESSAGES }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    const e = err as RateLimitError;
    expect(Number(e.headers?.get('retry-after'))).toBeGreaterThanOrEqual(59);
    expect(e.headers?.get('anthropic-ratelimit-requests-limit')).toBe('1');
    expect(e.headers?.get('anthropic-ratelimit-requests-remaining')).toBe('0');
    expect(e.headers?.get('anthropic-ratelimit-tokens-remaining')).not.toBeNull();
    expect((e.error as { error: { type: string } }).error.type).toBe('rate_limit_error');
  });

  it('injects 500 and 401 and rejects unknown models, in the Anthropic error shape', async () => {
    const e500 = await client.messages
      .create({ model: 'claude-haiku-4-5', max_tokens: 20, messages: MESSAGES }, { headers: { 'x-emulator-fault': '500' } })
      .catch((e: unknown) => e);
    expect(e500).toBeInstanceOf(InternalServerError);
    expect((e500 as InternalServerError).error).toMatchObject({ type: 'error', error: { type: 'api_error' } });
    const e401 = await client.messages
      .create({ model: 'claude-haiku-4-5', max_tokens: 20, messages: MESSAGES }, { headers: { 'x-emulator-fault': '401' } })
      .catch((e: unknown) => e);
    expect(e401).toBeInstanceOf(AuthenticationError);
    const e404 = await client.messages.create({ model: 'claude-9', max_tokens: 20, messages: MESSAGES }).catch((e: unknown) => e);
    expect(e404).toBeInstanceOf(NotFoundError);
    expect((e404 as NotFoundError).error).toEqual({ type: 'error', error: { type: 'not_found_error', message: 'model: claude-9' } });
  });

  it('cuts a stream mid-way: the SDK stream fails without message_stop', async () => {
    const stream = client.messages.stream(
      { model: 'claude-haiku-4-5', max_tokens: 1024, messages: MESSAGES },
      { headers: { 'x-emulator-fault': 'stream-cut' } },
    );
    const seen: string[] = [];
    const consume = async (): Promise<void> => {
      for await (const event of stream) seen.push(event.type);
    };
    await expect(consume()).rejects.toThrow();
    expect(seen).toContain('content_block_delta');
    expect(seen).not.toContain('message_stop');
  });

  it('returns malformed JSON as text, and schema-violating tool input, on request', async () => {
    const tools: Anthropic.Tool[] = [{ name: 'record_song', input_schema: INPUT_SCHEMA }];
    const body = { model: 'claude-haiku-4-5', max_tokens: 1024, messages: MESSAGES, tools, tool_choice: { type: 'tool' as const, name: 'record_song' } };
    const bad = await client.messages.create(body, { headers: { 'x-emulator-fault': 'malformed-json' } });
    const text = bad.content[0]!;
    expect(text.type).toBe('text');
    expect(() => JSON.parse(text.type === 'text' ? text.text : '') as unknown).toThrow();
    const violating = await client.messages.create(body, { headers: { 'x-emulator-fault': 'schema-violation' } });
    const block = violating.content[0]!;
    expect(block.type).toBe('tool_use');
    expect(validateJsonSchema(INPUT_SCHEMA, block.type === 'tool_use' ? block.input : null).length).toBeGreaterThan(0);
  });

  it('hangs until the SDK times out', async () => {
    const started = Date.now();
    const err = await client.messages
      .create({ model: 'claude-haiku-4-5', max_tokens: 20, messages: MESSAGES }, { headers: { 'x-emulator-fault': 'hang' }, timeout: 300 })
      .catch((e: unknown) => e);
    // APIConnectionTimeoutError outside Jest (see the OpenAI suite for why only the parent class shows here)
    expect(err).toBeInstanceOf(APIConnectionError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it('lists models in the Anthropic shape and counts tokens like messages.create', async () => {
    const ids: string[] = [];
    for await (const m of client.models.list()) {
      expect(m.type).toBe('model');
      ids.push(m.id);
    }
    expect(ids).toEqual(expect.arrayContaining(['claude-haiku-4-5', 'claude-sonnet-4-5', 'gpt-4o']));
    const counted = await client.messages.countTokens({ model: 'claude-haiku-4-5', system: SYSTEM, messages: MESSAGES });
    const created = await client.messages.create({ model: 'claude-haiku-4-5', max_tokens: 50, system: SYSTEM, messages: MESSAGES });
    expect(counted.input_tokens).toBe(created.usage.input_tokens);
  });

  it('reports cache creation then cache reads for cache_control breakpoints', async () => {
    const system: Anthropic.TextBlockParam[] = [
      { type: 'text', text: `Catalogue notes. ${'Long reference material about the catalogue. '.repeat(110)}`, cache_control: { type: 'ephemeral' } },
    ];
    const first = await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 30, system, messages: [{ role: 'user', content: 'Question one?' }] });
    const second = await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 30, system, messages: [{ role: 'user', content: 'Question two?' }] });
    expect(first.usage.cache_creation_input_tokens).toBeGreaterThanOrEqual(1024);
    expect(first.usage.cache_read_input_tokens).toBe(0);
    expect(second.usage.cache_read_input_tokens).toBe(first.usage.cache_creation_input_tokens);
    expect(second.usage.cache_creation_input_tokens).toBe(0);
    // the total prompt stays the same whatever the cache did
    const total = (u: Anthropic.Usage): number => u.input_tokens + (u.cache_read_input_tokens ?? 0) + (u.cache_creation_input_tokens ?? 0);
    expect(total(second.usage)).toBe(total(first.usage));
  });
});
