// The learning loop end to end: a job's items become training examples in the worker, feedback corrects one,
// the export carries the correction in OpenAI's format, the built-in eval set runs on two models in the worker,
// and a fine-tuned model registered in the catalog wins an A/B cell through the worker's scheduled promotion rule.
import { openAiLineProblems } from '@margin/training';
import { startCluster, type Cluster } from './support/cluster';

jest.setTimeout(300_000);

const SONG_EVAL_SET_ID = '5e7a1b2c-0000-4000-8000-000000000050';

const song = (i: number) => ({
  title: `Training hymn ${i}`,
  artist: 'The Loop Singers',
  lyrics: `Verse ${i}: grace and mercy carry us home\nChorus: we sing of hope in the evening light ${i}`,
});

describe('training: examples, feedback, export, evals', () => {
  let c: Cluster;
  let key: string;
  const headers = () => ({ 'x-api-key': key });

  const until = async <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 180_000): Promise<T> => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > end) throw new Error(`${what}: timed out`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };

  beforeAll(async () => {
    const fast = { latencyMs: 30, tokensPerSecond: 5000, parallel: 10, rpm: 0, tpm: 0 };
    const models = ['qwen3:8b', 'llama3.1:8b', 'mistral:7b', 'gpt-4o-mini', 'gpt-4.1-mini', 'gpt-4o', 'claude-haiku-4-5', 'claude-sonnet-4-5'].map((name) => ({
      name,
      ...fast,
    }));
    // The worker weighs the promotion rule every 2 s instead of hourly.
    c = await startCluster({ workers: 1, emulator: { defaults: fast, models }, env: { PROMOTION_EVALUATION_SECONDS: '2' } });
    const created = await c.api<{ key: string }>('POST', '/api/v1/api-keys', { name: 'e2e training' }, { authorization: `Bearer ${c.owner.token}` });
    key = created.body.key;
  });
  afterAll(async () => {
    await c?.stop();
  });

  it('a job’s items are examples; feedback with edits is what the export’s lines carry, valid by OpenAI’s rules', async () => {
    const submit = await c.api<{ id: string }>(
      'POST',
      '/api/v1/jobs',
      { profile: 'song-analysis', items: Array.from({ length: 5 }, (_, i) => song(i)) },
      headers(),
    );
    expect(submit.status).toBe(202);
    await until('the job', async () => {
      const job = await c.api<{ status: string }>('GET', `/api/v1/jobs/${submit.body.id}`, undefined, headers());
      return job.body.status === 'completed' ? job.body : undefined;
    });
    // The worker records in batches after answering: wait for all five.
    const examples = await until('the examples', async () => {
      const res = await c.api<{ data: Array<{ itemId: string; source: string; output: Record<string, unknown> }> }>(
        'GET',
        `/api/v1/training/examples?jobId=${submit.body.id}`,
        undefined,
        headers(),
      );
      return res.body.data.length === 5 ? res.body.data : undefined;
    });
    expect(examples.every((e) => e.source === 'job')).toBe(true);

    const [first, second] = examples;
    const edits = { ...(first?.output ?? {}), summary: 'A corrected summary: a hymn of grace and hope.', verdict: 'approved', score: 97 };
    const bad = await c.api<{ message: unknown }>('POST', `/api/v1/items/${first?.itemId}/feedback`, { rating: 9 }, headers());
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.message)).toContain('rating');
    expect((await c.api('POST', `/api/v1/items/${first?.itemId}/feedback`, { rating: 5, approved: true, edits }, headers())).status).toBe(201);
    expect((await c.api('POST', `/api/v1/items/${second?.itemId}/feedback`, { rating: 2 }, headers())).status).toBe(201);

    const res = await fetch(`${c.url}/api/v1/training/export?format=openai-jsonl&jobId=${submit.body.id}&minRating=4`, { headers: headers() });
    expect(res.status).toBe(200);
    const lines = (await res.text()).split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(1);
    expect(openAiLineProblems(lines[0] as string)).toEqual([]);
    const messages = (JSON.parse(lines[0] as string) as { messages: Array<{ role: string; content: string }> }).messages;
    expect(JSON.parse(messages.at(-1)?.content ?? '')).toEqual(edits);

    const all = await fetch(`${c.url}/api/v1/training/export?format=openai-jsonl&jobId=${submit.body.id}`, { headers: headers() });
    const allLines = (await all.text()).split('\n').filter((l) => l !== '');
    expect(allLines).toHaveLength(5);
    for (const line of allLines) expect(openAiLineProblems(line)).toEqual([]);
  });

  it('the built-in 50-song set runs on two models in the worker, with scores, compared side by side', async () => {
    const runs: string[] = [];
    for (const model of ['ollama/qwen3:8b', 'openai/gpt-4o-mini']) {
      const res = await c.api<{ id: string; status: string }>('POST', `/api/v1/training/evals/${SONG_EVAL_SET_ID}/runs`, { model }, headers());
      expect(res.status).toBe(201);
      expect(res.body.status).toBe('queued');
      runs.push(res.body.id);
    }
    const done = await Promise.all(
      runs.map((id) =>
        until(`eval run ${id}`, async () => {
          const run = await c.api<{ status: string; totals: Record<string, number | null>; items: unknown[] }>(
            'GET',
            `/api/v1/training/evals/${SONG_EVAL_SET_ID}/runs/${id}`,
            undefined,
            headers(),
          );
          return run.body.status === 'completed' || run.body.status === 'failed' ? run.body : undefined;
        }),
      ),
    );
    for (const run of done) {
      expect(run.status).toBe('completed');
      expect(run.items).toHaveLength(50);
      expect(run.totals).toMatchObject({ items: 50, completed: 50, failed: 0 });
      for (const k of ['quality', 'verdictAgreement', 'scoreMae', 'concernF1']) expect(typeof run.totals[k]).toBe('number');
    }
    expect(done[1]?.totals['costUsd']).toBeGreaterThan(0);
    const compared = await c.api<{ runs: Array<{ model: string }>; items: unknown[] }>(
      'GET',
      `/api/v1/training/evals/${SONG_EVAL_SET_ID}/compare?a=${runs[0]}&b=${runs[1]}`,
      undefined,
      headers(),
    );
    expect(compared.body.runs.map((r) => r.model)).toEqual(['ollama/qwen3:8b', 'openai/gpt-4o-mini']);
    expect(compared.body.items).toHaveLength(50);
  });

  it('a fine-tuned model, registered with its base, is promoted in an A/B cell by the scheduled rule once its evidence is met', async () => {
    const owner = { authorization: `Bearer ${c.owner.token}` };
    // The emulator serves the fine-tuned name like its base (qwen3:8b): nothing was configured for it.
    const registered = await c.api<{ id: string; baseModel: string; capabilities: string[] }>(
      'POST',
      '/api/v1/router/models',
      { baseModel: 'ollama/qwen3:8b', name: 'qwen3-songs:8b' },
      owner,
    );
    expect(registered.status).toBe(201);
    expect(registered.body).toMatchObject({ id: 'ollama/qwen3-songs:8b', baseModel: 'ollama/qwen3:8b' });
    const challenger = registered.body.id;
    const cells = (['simple', 'medium', 'complex'] as const).map((complexity) => ({
      operation: 'analyze',
      complexity,
      candidates: ['openai/gpt-4o-mini'],
      abTest: { challenger, share: 0.5 },
    }));
    // The policy and the rule's settings are an admin's (the owner's session; the job's API key is a member's).
    expect((await c.api('PUT', '/api/v1/router/policy', { scope: 'tenant', cells }, owner)).status).toBe(200);
    const settings = await c.api('PUT', '/api/v1/training/settings', { promotionMode: 'auto', promotionMinJudged: 3, promotionMargin: 5 }, owner);
    expect(settings.status).toBe(200);

    const submit = await c.api<{ id: string }>(
      'POST',
      '/api/v1/jobs',
      { profile: 'song-analysis', items: Array.from({ length: 16 }, (_, i) => song(100 + i)) },
      headers(),
    );
    expect(submit.status).toBe(202);
    const examples = await until('the A/B examples', async () => {
      const res = await c.api<{ data: Array<{ itemId: string; model: string }> }>(
        'GET',
        `/api/v1/training/examples?jobId=${submit.body.id}&limit=50`,
        undefined,
        headers(),
      );
      return res.body.data.length === 16 ? res.body.data : undefined;
    });
    expect(new Set(examples.map((e) => e.model))).toEqual(new Set(['openai/gpt-4o-mini', challenger]));
    // Without judged answers the schedule holds: nothing is promoted while they are missing.
    await new Promise((r) => setTimeout(r, 2500));
    expect((await c.api<unknown[]>('GET', '/api/v1/training/promotions', undefined, headers())).body).toEqual([]);

    for (const e of examples) expect((await c.api('POST', `/api/v1/items/${e.itemId}/feedback`, { rating: 4 }, headers())).status).toBe(201);
    const promoted = await until(
      'the scheduled promotion',
      async () => {
        const log = await c.api<Array<{ action: string; status: string; origin: string; complexity: string; toModel: string }>>(
          'GET',
          '/api/v1/training/promotions',
          undefined,
          headers(),
        );
        return log.body.length > 0 ? log.body : undefined;
      },
      30_000,
    );
    for (const p of promoted) expect(p).toMatchObject({ action: 'promote', status: 'applied', origin: 'scheduled', toModel: challenger });
    const policy = await c.api<{ effective: Array<{ operation: string; complexity: string; candidates: string[]; abTest: unknown }> }>(
      'GET',
      '/api/v1/router/policy',
      undefined,
      headers(),
    );
    const cell = policy.body.effective.find((x) => x.operation === 'analyze' && x.complexity === promoted[0]?.complexity);
    expect(cell).toMatchObject({ candidates: [challenger, 'openai/gpt-4o-mini'], abTest: { challenger: 'openai/gpt-4o-mini', share: 0.5 } });
    // One promotion per cell: later runs of the schedule weigh only what came after it, and change nothing.
    await new Promise((r) => setTimeout(r, 4500));
    expect((await c.api<unknown[]>('GET', '/api/v1/training/promotions', undefined, headers())).body).toHaveLength(promoted.length);
  });
});
