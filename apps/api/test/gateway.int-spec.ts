import { makeApiKey, makeSession, startEmulator, startTestApp, type RunningEmulator, type TestApp } from '@margin/testing';
import OpenAI from 'openai';
import { createApp } from '../src/create-app';
import { MIGRATIONS } from '../src/migrations';

describe('OpenAI-compatible gateway (/v1) through the official openai SDK', () => {
  let emu: RunningEmulator;
  let t: TestApp;
  let key: string;
  let tenantId: string;
  let client: OpenAI;
  let ownerAuth: { Authorization: string };

  beforeAll(async () => {
    emu = await startEmulator();
    t = await startTestApp(createApp, { env: emu.env, migrations: MIGRATIONS, listen: true });
    const s = await makeSession(t.dataSource, t.http, { role: 'owner' });
    tenantId = s.tenant.id;
    ownerAuth = s.auth;
    key = (await makeApiKey(t.dataSource, s.tenant, { createdBy: s.user })).key;
    client = new OpenAI({ apiKey: key, baseURL: `${t.url}/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await t.close();
    await emu.close();
  });

  // /v1 answers first and books right after: give the booking a moment to land.
  const ledgerRows = async (count: number) => {
    for (let i = 0; i < 50; i++) {
      const rows = await query();
      if (rows.length >= count) return rows;
      await new Promise((r) => setTimeout(r, 20));
    }
    return query();
  };
  const query = async () =>
    (await t.dataSource.query(
      `SELECT model_id, outcome, api_key_id, operation, input_tokens, output_tokens, cost_usd FROM llm_calls WHERE tenant_id = $1 ORDER BY created_at`,
      [tenantId],
    )) as Array<{
      model_id: string;
      outcome: string;
      input_tokens: number;
      output_tokens: number;
      cost_usd: string;
      operation: string;
      api_key_id: string;
    }>;

  it('answers a plain completion for a named model, with usage, and books it in the ledger', async () => {
    const { data, response } = await client.chat.completions
      .create({
        model: 'gpt-4o-mini',
        max_tokens: 50,
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Name three hymns.' },
        ],
      })
      .withResponse();
    expect(data.object).toBe('chat.completion');
    expect(data.model).toBe('openai/gpt-4o-mini');
    expect(data.choices[0]?.message.content?.length).toBeGreaterThan(0);
    expect(data.usage?.prompt_tokens).toBeGreaterThan(0);
    expect(response.headers.get('x-margin-emulated')).toBe('true');
    expect(Number(response.headers.get('x-margin-cost-usd'))).toBeGreaterThan(0);
    const rows = await ledgerRows(1);
    expect(rows.at(-1)).toMatchObject({
      model_id: 'openai/gpt-4o-mini',
      outcome: 'success',
      operation: 'chat',
      input_tokens: data.usage?.prompt_tokens,
      output_tokens: data.usage?.completion_tokens,
    });
    expect(rows.at(-1)?.api_key_id).toEqual(expect.any(String));
  });

  it('streams with usage at the end (include_usage), and the text matches the plain answer', async () => {
    const request = { model: 'margin/fast', max_tokens: 40, messages: [{ role: 'user' as const, content: 'Describe a choir.' }] };
    const stream = await client.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined | null;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(chunks).toBeGreaterThan(2);
    expect(usage?.completion_tokens).toBeGreaterThan(0);
    const plain = await client.chat.completions.create(request);
    expect(text).toBe(plain.choices[0]?.message.content);
    expect((await ledgerRows(3)).at(-1)).toMatchObject({ model_id: 'ollama/qwen3:8b', cost_usd: '0.000000000000' });
  });

  it('margin/auto routes by policy (operation chat) and json_schema output is valid JSON', async () => {
    const res = await client.chat.completions.create({
      model: 'margin/auto',
      messages: [{ role: 'user', content: 'Rate this lyric.' }],
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'rating', schema: { type: 'object', properties: { score: { type: 'integer' } }, required: ['score'] } },
      },
    });
    expect(res.model).toBe('openai/gpt-4o-mini');
    expect(JSON.parse(res.choices[0]?.message.content ?? '')).toEqual({ score: expect.any(Number) });
  });

  it('lists the aliases and catalog models', async () => {
    const models = await client.models.list();
    const ids = models.data.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(['margin/auto', 'ollama/qwen3:8b', 'openai/gpt-4o', 'anthropic/claude-sonnet-4-5']));
  });

  it('answers errors in OpenAI’s shape: unknown model 404, bad body 400, bad key 401', async () => {
    const unknown = await client.chat.completions.create({ model: 'gpt-9', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(OpenAI.NotFoundError);
    expect((unknown as InstanceType<typeof OpenAI.APIError>).message).toMatch(/The model "gpt-9" does not exist/);
    const bad = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [] }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect((bad as InstanceType<typeof OpenAI.APIError>).message).toMatch(/messages must contain at least 1 elements/);
    const stranger = new OpenAI({ apiKey: 'mk_AAAAAAAA_' + 'z'.repeat(43), baseURL: `${t.url}/v1`, maxRetries: 0 });
    await expect(stranger.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it('a prompt over every context window is a 400 context_length_exceeded that the SDK does not retry, and books nothing', async () => {
    const before = (await query()).length;
    // ~135k tokens of prompt plus a million-token answer: more than any catalog model's window (the largest is 1M)
    const huge = 'lorem ipsum dolor sit amet '.repeat(20_000);
    const err = await client.chat.completions
      .create({ model: 'margin/auto', max_tokens: 1_000_000, messages: [{ role: 'user', content: huge }] })
      .catch((e: unknown) => e);
    const apiErr = err as InstanceType<typeof OpenAI.APIError>;
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(apiErr).toMatchObject({ status: 400, code: 'context_length_exceeded', param: 'messages', type: 'invalid_request_error' });
    expect(apiErr.message).toMatch(/fit no model's context window/);
    expect(apiErr.headers?.get('x-should-retry')).toBe('false');
    expect((await query()).length).toBe(before);
  });

  it("the plan's model tiers and the key's role hold on /v1: a free tenant gets 403 for premium models, a viewer's key 403", async () => {
    const free = await makeSession(t.dataSource, t.http, { role: 'owner', plan: 'free' });
    const freeKey = (await makeApiKey(t.dataSource, free.tenant, { createdBy: free.user })).key;
    const freeClient = new OpenAI({ apiKey: freeKey, baseURL: `${t.url}/v1`, maxRetries: 0 });
    for (const model of ['openai/gpt-4o', 'anthropic/claude-sonnet-4-5', 'gpt-4o-mini']) {
      const err = (await freeClient.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e)) as InstanceType<
        typeof OpenAI.APIError
      >;
      expect(err).toBeInstanceOf(OpenAI.APIError);
      expect(err.status).toBe(403);
      expect(err.message).toMatch(/plan allows only local models/);
    }
    // an alias routes within the plan: local models only, at $0, or a 403 naming the plan — never a cloud bill
    const best = await freeClient.chat.completions
      .create({ model: 'margin/best', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse()
      .catch((e: unknown) => e);
    if (best instanceof OpenAI.APIError) expect(best.status).toBe(403);
    else expect((best as { response: Response }).response.headers.get('x-margin-model')).toMatch(/^ollama\//);
    const viewer = await makeSession(t.dataSource, t.http, { role: 'viewer', tenant: free.tenant });
    const viewerKey = (await makeApiKey(t.dataSource, free.tenant, { createdBy: viewer.user, role: 'viewer' })).key;
    const res = await fetch(`${t.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${viewerKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'margin/fast', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { type: string } }).error.type).toBeDefined();
    const [row] = (await t.dataSource.query(
      `SELECT count(*)::int AS n, coalesce(sum(cost_usd), 0)::text AS usd FROM llm_calls WHERE tenant_id = $1 AND cost_usd > 0`,
      [free.tenant.id],
    )) as Array<{ n: number }>;
    expect(row?.n).toBe(0);
  });

  it('a spent budget answers 429 (rate_limit_error) naming the budget', async () => {
    await t.http.put('/api/v1/budget').set(ownerAuth).send({ monthlyLimitUsd: 0, hardStop: true }).expect(200);
    const err = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect((err as InstanceType<typeof OpenAI.APIError>).message).toMatch(/monthly tenant budget is exhausted/);
    // A $0 local model still answers.
    await expect(client.chat.completions.create({ model: 'qwen3:8b', messages: [{ role: 'user', content: 'x' }] })).resolves.toMatchObject({
      object: 'chat.completion',
    });
  });
});
