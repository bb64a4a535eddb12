// The /v1 surface beyond chat.completions against the real built stack (API process + LLM emulator, Postgres,
// Redis), driven by the clients people use: the official `openai` SDK (responses incl. stream and
// previous_response_id, embeddings, legacy completions, models.retrieve, each error class, idempotent retries
// booked once) and the Vercel AI SDK's default provider `openai(model)`, which speaks the Responses API.
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, streamText } from 'ai';
import OpenAI from 'openai';
import { startCluster, type Cluster } from './support/cluster';

jest.setTimeout(60_000);

/** Every built-in chat model answers at once, except gpt-4.1-mini, which takes 1.5 s (for the in-flight retry). */
const INSTANT = ['qwen3:8b', 'llama3.1:8b', 'mistral:7b', 'gpt-4o-mini', 'gpt-4o', 'claude-haiku-4-5', 'claude-sonnet-4-5'];
const SLOW_MODEL = 'gpt-4.1-mini';

describe('/v1 APIs through the openai SDK and the Vercel AI SDK', () => {
  let c: Cluster;
  let key: string;
  let client: OpenAI;
  let owner: { authorization: string };

  beforeAll(async () => {
    c = await startCluster({
      workers: 0,
      emulator: {
        timeScale: 1,
        models: [
          ...INSTANT.map((name) => ({ name, latencyMs: 0, tokensPerSecond: 0 })),
          { name: SLOW_MODEL, latencyMs: 1500, tokensPerSecond: 0 },
          // every call to gpt-4o fails upstream: the gateway's 5xx
          { name: 'gpt-4o', faults: { '500': 1 } },
        ],
      },
      env: { ...(process.env.E2E_REDIS_URL ? { REDIS_URL: process.env.E2E_REDIS_URL } : {}) },
    });
    owner = { authorization: `Bearer ${c.owner.token}` };
    key = (await c.api<{ key: string }>('POST', '/api/v1/api-keys', { name: 'v1 e2e' }, owner)).body.key;
    client = new OpenAI({ apiKey: key, baseURL: `${c.url}/v1`, maxRetries: 0 });
  }, 300_000);
  afterAll(async () => {
    await c?.stop();
  });

  const ledger = async (where = 'true', params: unknown[] = []) =>
    (
      await c.db.query<{ model_id: string; operation: string; outcome: string; input_tokens: number; output_tokens: number; cost_usd: string }>(
        `SELECT model_id, operation, outcome, input_tokens, output_tokens, cost_usd FROM llm_calls WHERE ${where} ORDER BY created_at`,
        params,
      )
    ).rows;
  const waitForRows = async (count: number, where = 'true', params: unknown[] = []) => {
    for (let i = 0; i < 100; i++) {
      const rows = await ledger(where, params);
      if (rows.length >= count) return rows;
      await new Promise((r) => setTimeout(r, 30));
    }
    return ledger(where, params);
  };

  it('responses.create: plain, streamed (event sequence and usage), and continued with previous_response_id', async () => {
    const first = await client.responses.create({ model: 'gpt-4o-mini', instructions: 'Be brief.', input: 'Tell me about bells.', max_output_tokens: 60 });
    expect(first.status).toMatch(/^(completed|incomplete)$/);
    expect(first.output_text.length).toBeGreaterThan(0);
    const next = await client.responses.create({ model: 'gpt-4o-mini', input: 'And organs?', previous_response_id: first.id, max_output_tokens: 20 });
    expect(next.usage!.input_tokens).toBeGreaterThan(first.usage!.input_tokens + first.usage!.output_tokens - 10);
    expect((await client.responses.retrieve(next.id)).previous_response_id).toBe(first.id);

    const stream = await client.responses.create({ model: 'margin/fast', input: 'Describe a choir.', max_output_tokens: 40, stream: true });
    const types: string[] = [];
    let deltas = '';
    let done: OpenAI.Responses.Response | undefined;
    for await (const e of stream) {
      types.push(e.type);
      if (e.type === 'response.output_text.delta') deltas += e.delta;
      if (e.type === 'response.completed' || e.type === 'response.incomplete') done = e.response;
    }
    expect(types[0]).toBe('response.created');
    expect(types).toContain('response.output_text.delta');
    expect(types.at(-1)).toMatch(/^response\.(completed|incomplete)$/);
    expect(done?.usage?.output_tokens).toBeGreaterThan(0);
    expect((done?.output[0] as OpenAI.Responses.ResponseOutputMessage).content[0]).toMatchObject({ type: 'output_text', text: deltas });
    // the SDK's stream helper assembles the same events into the final response
    const helper = client.responses.stream({ model: 'margin/fast', input: 'Describe a choir.', max_output_tokens: 40 });
    const final = await helper.finalResponse();
    expect(final.output_text).toBe(deltas);
  });

  it('embeddings.create, completions.create and models.retrieve, each booked in the ledger', async () => {
    const before = (await ledger()).length;
    const e = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['hymn', 'psalm'], dimensions: 64 });
    expect(e.data.map((d) => d.embedding.length)).toEqual([64, 64]);
    const cmpl = await client.completions.create({ model: 'gpt-4o-mini', prompt: 'The organ', max_tokens: 12 });
    expect(cmpl.choices[0]?.text.length).toBeGreaterThan(0);
    expect(await client.models.retrieve('openai/text-embedding-3-small')).toMatchObject({ id: 'openai/text-embedding-3-small', object: 'model' });
    const rows = (await waitForRows(before + 2)).slice(before);
    expect(rows.map((r) => r.operation).sort()).toEqual(['chat', 'embeddings']);
    const emb = rows.find((r) => r.operation === 'embeddings');
    expect(emb).toMatchObject({ model_id: 'openai/text-embedding-3-small', input_tokens: e.usage.prompt_tokens, output_tokens: 0 });
    expect(emb?.cost_usd).toBe(`0.${String(e.usage.prompt_tokens * 20_000).padStart(12, '0')}`);
  });

  it('every error class: the SDK raises the right exception', async () => {
    const caught = (p: Promise<unknown>) =>
      p.then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(await caught(client.responses.create({ model: 'gpt-4o-mini', input: [] }))).toBeInstanceOf(OpenAI.BadRequestError);
    const stranger = new OpenAI({ apiKey: `mk_AAAAAAAA_${'z'.repeat(43)}`, baseURL: `${c.url}/v1`, maxRetries: 0 });
    expect(await caught(stranger.embeddings.create({ model: 'text-embedding-3-small', input: 'x' }))).toBeInstanceOf(OpenAI.AuthenticationError);
    const viewerKey = (await c.api<{ key: string }>('POST', '/api/v1/api-keys', { name: 'v1 viewer', role: 'viewer' }, owner)).body.key;
    const viewer = new OpenAI({ apiKey: viewerKey, baseURL: `${c.url}/v1`, maxRetries: 0 });
    expect(await caught(viewer.responses.create({ model: 'gpt-4o-mini', input: 'x' }))).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(await caught(client.models.retrieve('no-such-model'))).toBeInstanceOf(OpenAI.NotFoundError);
    expect(await caught(client.responses.retrieve('resp_doesnotexist'))).toBeInstanceOf(OpenAI.NotFoundError);
    const k = `conflict-${Date.now()}`;
    await client.embeddings.create({ model: 'ollama/nomic-embed-text', input: 'a' }, { headers: { 'Idempotency-Key': k } });
    const conflict = await caught(client.embeddings.create({ model: 'ollama/nomic-embed-text', input: 'b' }, { headers: { 'Idempotency-Key': k } }));
    expect(conflict).toBeInstanceOf(OpenAI.ConflictError);
    const upstream = await caught(client.responses.create({ model: 'openai/gpt-4o', input: 'x' }));
    expect(upstream).toBeInstanceOf(OpenAI.InternalServerError);
    const closed = new OpenAI({ apiKey: key, baseURL: 'http://127.0.0.1:1/v1', maxRetries: 0 });
    expect(await caught(closed.models.list())).toBeInstanceOf(OpenAI.APIConnectionError);
    // A hard-stop budget of $0.000001, spent already: a paid call is a 429 RateLimitError (with Retry-After); restored afterwards.
    expect((await c.api('PUT', '/api/v1/budget', { monthlyLimitUsd: 0.000001, hardStop: true }, owner)).status).toBe(200);
    try {
      const limited = await caught(client.responses.create({ model: 'gpt-4o-mini', input: 'x' }));
      expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
      expect((limited as InstanceType<typeof OpenAI.APIError>).headers?.get('retry-after')).toMatch(/^\d+$/);
    } finally {
      await c.api('PUT', '/api/v1/budget', { monthlyLimitUsd: null, hardStop: false }, owner);
    }
  });

  it('idempotent retries charge once: a repeat replays, and a duplicate sent while the first runs waits (409, retried by the SDK) for its answer', async () => {
    const headers = { 'Idempotency-Key': `e2e-${Date.now()}` };
    const body = { model: SLOW_MODEL, input: 'Name a carol.', max_output_tokens: 20 };
    const where = `model_id = 'openai/${SLOW_MODEL}'`;
    const before = (await ledger(where)).length;
    const patient = new OpenAI({ apiKey: key, baseURL: `${c.url}/v1`, maxRetries: 4 });
    const firstP = client.responses.create(body, { headers });
    await new Promise((r) => setTimeout(r, 300));
    const duplicate = await patient.responses.create(body, { headers }).withResponse();
    const first = await firstP;
    expect(duplicate.data.id).toBe(first.id);
    expect(duplicate.response.headers.get('idempotent-replayed')).toBe('true');
    const again = await client.responses.create(body, { headers });
    expect(again.id).toBe(first.id);
    await new Promise((r) => setTimeout(r, 300));
    const rows = await waitForRows(before + 1, where);
    expect(rows.length - before).toBe(1);
    expect(rows.at(-1)?.outcome).toBe('success');
  });

  it('the Vercel AI SDK default provider (Responses API): generateText and streamText', async () => {
    const openai = createOpenAI({ apiKey: key, baseURL: `${c.url}/v1` });
    const plain = await generateText({ model: openai('gpt-4o-mini'), prompt: 'Name a hymn.', maxOutputTokens: 30, maxRetries: 0 });
    expect(plain.text.length).toBeGreaterThan(0);
    expect(plain.usage.inputTokens).toBeGreaterThan(0);
    expect(plain.usage.outputTokens).toBeGreaterThan(0);
    expect(plain.response.modelId).toBe('openai/gpt-4o-mini');
    const streamed = streamText({ model: openai('gpt-4o-mini'), system: 'Be brief.', prompt: 'Describe a bell.', maxOutputTokens: 30, maxRetries: 0 });
    let text = '';
    for await (const piece of streamed.textStream) text += piece;
    expect(text.length).toBeGreaterThan(0);
    expect(await streamed.text).toBe(text);
    expect((await streamed.usage).outputTokens).toBeGreaterThan(0);
    expect(await streamed.finishReason).toMatch(/^(stop|length)$/);
  });
});
