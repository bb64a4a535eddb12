import { makeApiKey, makeSession, startEmulator, startTestApp, type RunningEmulator, type TestApp } from '@margin/testing';
import OpenAI from 'openai';
import { createApp } from '../src/create-app';
import { MIGRATIONS } from '../src/migrations';

type APIError = InstanceType<typeof OpenAI.APIError>;

describe('/v1 beyond chat: responses, embeddings, completions, models/{id}, errors, idempotency, stream cost', () => {
  let emu: RunningEmulator;
  let t: TestApp;
  let key: string;
  let otherKey: string;
  let tenantId: string;
  let client: OpenAI;
  let other: OpenAI;

  beforeAll(async () => {
    emu = await startEmulator();
    t = await startTestApp(createApp, { env: emu.env, migrations: MIGRATIONS, listen: true });
    const s = await makeSession(t.dataSource, t.http, { role: 'owner' });
    tenantId = s.tenant.id;
    key = (await makeApiKey(t.dataSource, s.tenant, { createdBy: s.user })).key;
    const o = await makeSession(t.dataSource, t.http, { role: 'owner' });
    otherKey = (await makeApiKey(t.dataSource, o.tenant, { createdBy: o.user })).key;
    client = new OpenAI({ apiKey: key, baseURL: `${t.url}/v1`, maxRetries: 0 });
    other = new OpenAI({ apiKey: otherKey, baseURL: `${t.url}/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await t.close();
    await emu.close();
  });

  interface Row {
    attempt_id: string;
    model_id: string;
    operation: string;
    outcome: string;
    input_tokens: number;
    output_tokens: number;
    cost_usd: string;
  }
  const rows = async (): Promise<Row[]> =>
    (await t.dataSource.query(
      `SELECT attempt_id, model_id, operation, outcome, input_tokens, output_tokens, cost_usd FROM llm_calls WHERE tenant_id = $1 ORDER BY created_at, attempt_id`,
      [tenantId],
    )) as Row[];
  /** /v1 answers first and books right after: wait for the count. */
  const rowsAtLeast = async (count: number): Promise<Row[]> => {
    for (let i = 0; i < 100; i++) {
      const r = await rows();
      if (r.length >= count) return r;
      await new Promise((res) => setTimeout(res, 20));
    }
    return rows();
  };
  const raw = (path: string, init: RequestInit & { headers?: Record<string, string> } = {}) =>
    fetch(`${t.url}${path}`, { ...init, headers: { Authorization: `Bearer ${key}`, ...init.headers } });

  describe('responses', () => {
    it('answers a string input with instructions, books the call, and GET /v1/responses/{id} returns it (this tenant only)', async () => {
      const before = (await rows()).length;
      const r = await client.responses.create({ model: 'gpt-4o-mini', instructions: 'Be brief.', input: 'Name a hymn.', max_output_tokens: 40 });
      expect(r).toMatchObject({ object: 'response', status: expect.stringMatching(/^(completed|incomplete)$/), model: 'openai/gpt-4o-mini' });
      expect(r.id).toMatch(/^resp_/);
      expect(r.output_text.length).toBeGreaterThan(0);
      expect(r.usage?.input_tokens).toBeGreaterThan(0);
      const booked = await rowsAtLeast(before + 1);
      expect(booked.at(-1)).toMatchObject({
        model_id: 'openai/gpt-4o-mini',
        operation: 'chat',
        outcome: 'success',
        input_tokens: r.usage?.input_tokens,
        output_tokens: r.usage?.output_tokens,
      });
      const again = await client.responses.retrieve(r.id);
      expect(again.output_text).toBe(r.output_text);
      expect(again.usage).toEqual(r.usage);
      await expect(other.responses.retrieve(r.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    });

    it('previous_response_id continues the stored conversation (and another tenant cannot use it)', async () => {
      const first = await client.responses.create({ model: 'gpt-4o-mini', input: [{ role: 'user', content: 'Tell me about choirs.' }], max_output_tokens: 60 });
      const second = await client.responses.create({ model: 'gpt-4o-mini', input: 'And organs?', previous_response_id: first.id, max_output_tokens: 20 });
      expect(second.previous_response_id).toBe(first.id);
      // the second prompt carries the first question and answer: more tokens than both of them together
      expect(second.usage!.input_tokens).toBeGreaterThan(first.usage!.input_tokens + first.usage!.output_tokens);
      const alone = await client.responses.create({ model: 'gpt-4o-mini', input: 'And organs?', max_output_tokens: 20, store: false });
      expect(second.usage!.input_tokens).toBeGreaterThan(alone.usage!.input_tokens);
      await expect(client.responses.retrieve(alone.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
      const stolen = await other.responses.create({ model: 'gpt-4o-mini', input: 'x', previous_response_id: first.id }).catch((e: unknown) => e);
      expect(stolen).toBeInstanceOf(OpenAI.BadRequestError);
      expect(stolen).toMatchObject({ param: 'previous_response_id', code: 'previous_response_not_found' });
    });

    it('streams the Responses event sequence, ending with response.completed and its usage', async () => {
      const stream = await client.responses.create({ model: 'margin/fast', input: 'Describe a bell.', max_output_tokens: 30, stream: true });
      const types: string[] = [];
      let text = '';
      let completed: OpenAI.Responses.Response | undefined;
      for await (const event of stream) {
        types.push(event.type);
        if (event.type === 'response.output_text.delta') text += event.delta;
        if (event.type === 'response.completed' || event.type === 'response.incomplete') completed = event.response;
      }
      expect(types.slice(0, 4)).toEqual(['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added']);
      expect(types.filter((x) => x === 'response.output_text.delta').length).toBeGreaterThan(1);
      expect(types.slice(-4, -1)).toEqual(['response.output_text.done', 'response.content_part.done', 'response.output_item.done']);
      expect(completed?.usage?.output_tokens).toBeGreaterThan(0);
      expect(completed?.output_text ?? (completed?.output[0] as { content: Array<{ text: string }> }).content[0]?.text).toBe(text);
      expect(completed?.model).toBe('ollama/qwen3:8b');
      const stored = await client.responses.retrieve(completed!.id);
      expect(stored.status).toBe(completed?.status);
    });

    it('text.format json_schema gives schema-valid JSON; tools are refused with a 400 naming them', async () => {
      const r = await client.responses.create({
        model: 'gpt-4o-mini',
        input: 'Rate this lyric.',
        text: {
          format: {
            type: 'json_schema',
            name: 'rating',
            schema: { type: 'object', properties: { score: { type: 'integer' } }, required: ['score'] },
            strict: true,
          },
        },
      });
      expect(JSON.parse(r.output_text)).toEqual({ score: expect.any(Number) });
      const tools = await client.responses
        .create({ model: 'gpt-4o-mini', input: 'x', tools: [{ type: 'function', name: 'f', parameters: { type: 'object', properties: {} }, strict: false }] })
        .catch((e: unknown) => e);
      expect(tools).toBeInstanceOf(OpenAI.BadRequestError);
      expect(tools).toMatchObject({ param: 'tools', code: 'unsupported_parameter' });
      const badItem = await client.responses
        .create({ model: 'gpt-4o-mini', input: [{ role: 'user', content: [{ type: 'input_image', image_url: 'http://x', detail: 'auto' }] }] })
        .catch((e: unknown) => e);
      expect(badItem).toMatchObject({ status: 400, param: 'input[0].content[0].type' });
      const huge = await client.responses
        .create({ model: 'margin/auto', input: 'lorem ipsum dolor sit amet '.repeat(20_000), max_output_tokens: 1_000_000 })
        .catch((e: unknown) => e);
      expect(huge).toBeInstanceOf(OpenAI.BadRequestError);
      expect(huge).toMatchObject({ code: 'context_length_exceeded', param: 'input' });
      expect((huge as APIError).headers?.get('x-should-retry')).toBe('false');
    });
  });

  describe('embeddings', () => {
    it('embeds with an OpenAI model: vectors, dimensions, base64 equal to float, usage, and an exact ledger row', async () => {
      const before = (await rows()).length;
      const one = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['a hymn', 'an organ'], encoding_format: 'float' });
      expect(one.model).toBe('openai/text-embedding-3-small');
      expect(one.data).toHaveLength(2);
      expect(one.data[0]?.embedding).toHaveLength(1536);
      const norm = Math.hypot(...(one.data[0]?.embedding ?? []));
      expect(norm).toBeCloseTo(1, 4);
      const short = await client.embeddings.create({ model: 'openai/text-embedding-3-small', input: 'a hymn', dimensions: 256, encoding_format: 'float' });
      expect(short.data[0]?.embedding).toHaveLength(256);
      // the SDK's default asks for base64 and decodes it: the same vector as float
      const viaBase64 = await client.embeddings.create({ model: 'openai/text-embedding-3-small', input: 'a hymn' });
      expect(viaBase64.data[0]?.embedding).toEqual(one.data[0]?.embedding);
      const booked = (await rowsAtLeast(before + 3)).slice(before);
      expect(booked.map((r) => r.operation)).toEqual(['embeddings', 'embeddings', 'embeddings']);
      const first = booked.find((r) => r.input_tokens === one.usage.prompt_tokens);
      expect(first).toMatchObject({ model_id: 'openai/text-embedding-3-small', outcome: 'success', output_tokens: 0 });
      // $0.02 per million tokens = 20,000 pico-dollars a token
      expect(first?.cost_usd).toBe(`0.${String(one.usage.prompt_tokens * 20_000).padStart(12, '0')}`);
    });

    it('embeds with a local Ollama model at $0; chat models and unknown models are refused', async () => {
      const r = await client.embeddings.create({ model: 'ollama/nomic-embed-text', input: 'a choir', encoding_format: 'float' });
      expect(r.data[0]?.embedding).toHaveLength(768);
      expect(r.usage.prompt_tokens).toBeGreaterThan(0);
      const chat = await client.embeddings.create({ model: 'gpt-4o-mini', input: 'x' }).catch((e: unknown) => e);
      expect(chat).toBeInstanceOf(OpenAI.BadRequestError);
      expect(chat).toMatchObject({ param: 'model', code: 'model_not_supported' });
      await expect(client.embeddings.create({ model: 'nope-embed', input: 'x' })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
      const empty = await client.embeddings.create({ model: 'text-embedding-3-small', input: [] }).catch((e: unknown) => e);
      expect(empty).toMatchObject({ status: 400, param: 'input' });
      const long = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['short', 'lorem '.repeat(6000)] }).catch((e: unknown) => e);
      expect(long).toBeInstanceOf(OpenAI.BadRequestError);
      expect(long).toMatchObject({ code: 'context_length_exceeded', param: 'input' });
      // and the other way round: a chat call to an embedding model
      const chatToEmbedder = await client.chat.completions
        .create({ model: 'openai/text-embedding-3-small', messages: [{ role: 'user', content: 'x' }] })
        .catch((e: unknown) => e);
      expect(chatToEmbedder).toMatchObject({ status: 400, param: 'model', code: 'model_not_supported' });
      const responsesToEmbedder = await client.responses.create({ model: 'ollama/nomic-embed-text', input: 'x' }).catch((e: unknown) => e);
      expect(responsesToEmbedder).toMatchObject({ status: 400, param: 'model', code: 'model_not_supported' });
    });
  });

  describe('completions and models', () => {
    it('answers a legacy completion (plain and streamed) through a chat model', async () => {
      const c = await client.completions.create({ model: 'gpt-4o-mini', prompt: 'Once upon a time', max_tokens: 20 });
      expect(c.object).toBe('text_completion');
      expect(c.choices[0]?.text.length).toBeGreaterThan(0);
      expect(c.usage?.completion_tokens).toBeGreaterThan(0);
      const stream = await client.completions.create({
        model: 'margin/fast',
        prompt: 'Once upon a time',
        max_tokens: 20,
        stream: true,
        stream_options: { include_usage: true },
      });
      let text = '';
      let usage: OpenAI.CompletionUsage | undefined;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.text ?? '';
        if (chunk.usage) usage = chunk.usage;
      }
      expect(text.length).toBeGreaterThan(0);
      expect(usage?.completion_tokens).toBeGreaterThan(0);
      const n = await client.completions.create({ model: 'gpt-4o-mini', prompt: 'x', n: 2 }).catch((e: unknown) => e);
      expect(n).toMatchObject({ status: 400, param: 'n' });
    });

    it('GET /v1/models/{id}: a catalog model (slash encoded or not), an alias, and a 404 in OpenAI shape', async () => {
      expect(await client.models.retrieve('openai/gpt-4o-mini')).toMatchObject({ id: 'openai/gpt-4o-mini', object: 'model', owned_by: 'openai' });
      expect(await client.models.retrieve('margin/auto')).toMatchObject({ id: 'margin/auto', owned_by: 'margin' });
      const plain = await raw('/v1/models/ollama/qwen3:8b');
      expect(await plain.json()).toMatchObject({ id: 'ollama/qwen3:8b' });
      const missing = await client.models.retrieve('gpt-9').catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
      expect((missing as APIError).code).toBe('model_not_found');
    });
  });

  describe('OpenAI error shape on all of /v1', () => {
    const shape = { error: { message: expect.any(String), type: expect.any(String), param: expect.anything(), code: expect.anything() } };
    it('unknown route 404, malformed JSON 400, unsupported media 415, body too large 413', async () => {
      const unknown = await raw('/v1/nothing-here', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(unknown.status).toBe(404);
      expect(await unknown.json()).toMatchObject({ error: { type: 'not_found_error', message: expect.stringMatching(/nothing-here/) } });
      const broken = await raw('/v1/responses', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model":' });
      expect(broken.status).toBe(400);
      expect(broken.headers.get('x-should-retry')).toBe('false');
      expect(await broken.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
      const text = await raw('/v1/embeddings', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
      expect(text.status).toBe(415);
      expect(await text.json()).toMatchObject({ error: { type: 'invalid_request_error', message: expect.stringMatching(/application\/json/) } });
      const big = await raw('/v1/embeddings', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'x', input: 'a'.repeat(11 * 1024 * 1024) }),
      });
      expect(big.status).toBe(413);
      const body = (await big.json()) as { error: { param: unknown; code: unknown } };
      expect({ ...body, error: { ...body.error, param: body.error.param ?? 'null', code: body.error.code ?? 'null' } }).toMatchObject(shape);
    });
  });

  describe('Idempotency-Key', () => {
    it('a repeat returns the stored answer and books nothing; another body with the key is a 409; another tenant is not affected', async () => {
      const idem = `idem-${Date.now()}`;
      const request = { model: 'gpt-4o-mini', input: 'Name a psalm.', max_output_tokens: 30 };
      const before = (await rows()).length;
      const a = await client.responses.create(request, { headers: { 'Idempotency-Key': idem } }).withResponse();
      await rowsAtLeast(before + 1);
      const b = await client.responses.create(request, { headers: { 'Idempotency-Key': idem } }).withResponse();
      expect(b.data.id).toBe(a.data.id);
      expect(b.data.output_text).toBe(a.data.output_text);
      expect(b.response.headers.get('idempotent-replayed')).toBe('true');
      expect(b.response.headers.get('x-margin-cost-usd')).toBe(a.response.headers.get('x-margin-cost-usd'));
      await new Promise((res) => setTimeout(res, 200));
      expect((await rows()).length).toBe(before + 1);
      const conflict = await client.responses
        .create({ ...request, input: 'Something else.' }, { headers: { 'Idempotency-Key': idem } })
        .catch((e: unknown) => e);
      expect(conflict).toBeInstanceOf(OpenAI.ConflictError);
      expect(conflict).toMatchObject({ code: 'idempotency_key_reused' });
      expect((conflict as APIError).headers?.get('x-should-retry')).toBe('false');
      const theirs = await other.responses.create(request, { headers: { 'Idempotency-Key': idem } });
      expect(theirs.id).not.toBe(a.data.id);
    });

    it('replays a streamed answer byte for byte; a failed request frees the key', async () => {
      const idem = `stream-${Date.now()}`;
      const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Sing.' }], max_tokens: 20, stream: true });
      const send = () => raw('/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json', 'Idempotency-Key': idem }, body });
      const before = (await rows()).length;
      const first = await (await send()).text();
      await rowsAtLeast(before + 1);
      const second = await send();
      expect(second.headers.get('idempotent-replayed')).toBe('true');
      expect(await second.text()).toBe(first);
      expect((await rows()).length).toBe(before + 1);
      const failKey = `fail-${Date.now()}`;
      const bad = JSON.stringify({ model: 'gpt-9', messages: [{ role: 'user', content: 'x' }] });
      const post = () =>
        raw('/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json', 'Idempotency-Key': failKey }, body: bad });
      expect((await post()).status).toBe(404);
      const retried = await post();
      expect(retried.status).toBe(404);
      expect(retried.headers.get('idempotent-replayed')).toBeNull();
    });
  });

  it('X-Margin-Include-Cost: a streamed call ends with Margin’s cost and model, the figure in the ledger', async () => {
    const before = (await rows()).length;
    const res = await raw('/v1/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'X-Margin-Include-Cost': 'true' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Sing.' }], max_tokens: 20, stream: true }),
    });
    const text = await res.text();
    const m = /^: margin-cost (.+)$/m.exec(text);
    expect(m).not.toBeNull();
    const cost = JSON.parse(m![1]!) as { model: string; cost_usd: string; cost_pico: string };
    expect(cost.model).toBe('openai/gpt-4o-mini');
    expect(BigInt(cost.cost_pico)).toBeGreaterThan(0n);
    const row = (await rowsAtLeast(before + 1)).at(-1);
    expect(row?.cost_usd).toBe(cost.cost_usd);
    // without the header no comment
    const plain = await raw('/v1/responses', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', input: 'Sing.', max_output_tokens: 10, stream: true }),
    });
    expect(await plain.text()).not.toMatch(/margin-cost/);
  });
});
