import { PipelineRunner, ProfilesService, type PipelineContext } from '@margin/analysis';
import { Clock } from '@margin/core';
import { ExampleRecorder, ExampleRetention, ExamplesQueryRepository, openAiLineProblems } from '@margin/training';
import { makeApiKey, makeSession, makeTenant, startEmulator, startTestApp, type RunningEmulator, type TestApp } from '@margin/testing';
import { randomUUID } from 'node:crypto';
import { createApp } from '../src/create-app';
import { MIGRATIONS } from '../src/migrations';

const SONG = {
  title: 'Morning Light',
  artist: 'The Test Choir',
  lyrics: 'The morning light is on the hill\nWe walk together, calm and still\nNo fear tonight, no storm to fight\nJust hope that carries us till light',
};

const parseLines = (text: string): unknown[] =>
  text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as unknown);

describe('training examples, feedback and exports', () => {
  let emu: RunningEmulator;
  let t: TestApp;
  let runner: PipelineRunner;
  let profiles: ProfilesService;
  let recorder: ExampleRecorder;

  const examples = async (tenantId: string) =>
    (await t.dataSource.query(
      `SELECT call_ref, source, job_id, item_id, profile_key, step, round, operation, model_id, messages, output_json, quality, cost_usd
       FROM training_examples WHERE tenant_id = $1 ORDER BY created_at, call_ref`,
      [tenantId],
    )) as Array<{
      call_ref: string;
      source: string;
      job_id: string | null;
      item_id: string | null;
      profile_key: string | null;
      step: string | null;
      round: number | null;
      operation: string;
      model_id: string;
      messages: Array<{ role: string; content: string }>;
      output_json: unknown;
      quality: string | null;
      cost_usd: string;
    }>;

  /** A job with one item of `profile`, as intake leaves it (the worker's part is run by the test with the pipeline). */
  const makeItem = async (tenantId: string, profile = 'song-analysis') => {
    const jobId = randomUUID();
    const itemId = randomUUID();
    await t.dataSource.query(
      `INSERT INTO jobs (id, tenant_id, profile_key, profile_version, status, priority, total_items) VALUES ($1, $2, $3, 1, 'running', 'medium', 1)`,
      [jobId, tenantId, profile],
    );
    await t.dataSource.query(`INSERT INTO job_items (id, job_id, tenant_id, index, input, input_hash, status) VALUES ($1, $2, $3, 0, '{}', $4, 'completed')`, [
      itemId,
      jobId,
      tenantId,
      'a'.repeat(64),
    ]);
    return { jobId, itemId };
  };

  const runItem = async (
    tenantId: string,
    item: { jobId: string; itemId: string },
    profileKey: string,
    input: unknown,
    over: Partial<PipelineContext> = {},
  ) => {
    const ctx: PipelineContext = { tenantId, jobId: item.jobId, itemId: item.itemId, attemptKey: `${item.itemId}:1`, ...over };
    const result = await runner.run(await profiles.resolve(tenantId, profileKey), input, ctx);
    await result.settled;
    await recorder.flush();
    return result;
  };

  beforeAll(async () => {
    emu = await startEmulator();
    t = await startTestApp((c) => createApp(c), { env: emu.env, migrations: MIGRATIONS });
    runner = t.app.get(PipelineRunner);
    profiles = t.app.get(ProfilesService);
    recorder = t.app.get(ExampleRecorder);
  });
  afterAll(async () => {
    await t.close();
    await emu.close();
  });

  it('a job item records one example per step, with the exact messages, the answer, tokens and cost; a replay adds none', async () => {
    const tenant = await makeTenant(t.dataSource);
    const item = await makeItem(tenant.id);
    const result = await runItem(tenant.id, item, 'song-analysis', SONG);
    const rows = await examples(tenant.id);
    expect(rows).toHaveLength(1);
    const [row] = rows;
    expect(row).toMatchObject({
      call_ref: `${item.itemId}:1:analyze:0`,
      source: 'job',
      job_id: item.jobId,
      item_id: item.itemId,
      profile_key: 'song-analysis',
      step: 'analyze',
      round: 0,
      operation: 'analyze',
      model_id: result.model,
      output_json: result.output,
    });
    expect(row?.messages.map((m) => m.role)).toEqual(['system', 'user']);
    expect(row?.messages[1]?.content).toContain('The morning light is on the hill');
    // The same delivery again (a replay) leaves still one example.
    await runItem(tenant.id, item, 'song-analysis', SONG);
    expect(await examples(tenant.id)).toHaveLength(1);
  });

  it('a gated profile records every step and round, and the assessed content carries the gate’s score', async () => {
    const tenant = await makeTenant(t.dataSource);
    const item = await makeItem(tenant.id, 'blog-post');
    const result = await runItem(tenant.id, item, 'blog-post', { topic: 'Window boxes for herbs' });
    const rows = await examples(tenant.id);
    expect(rows.map((r) => `${r.step}@${r.round}`)).toEqual(result.steps.map((s) => `${s.name}@${s.round}`));
    const rounds = (result.output as { rounds: number }).rounds;
    const content = rows.find((r) => r.step === (rounds === 0 ? 'draft' : 'refine') && r.round === rounds);
    expect(Number(content?.quality)).toBe(result.quality);
  });

  it('/analyze records one example; the cache hit that follows records none; /v1 records one', async () => {
    const { tenant, auth } = await makeSession(t.dataSource, t.http, { role: 'owner' });
    const input = { ...SONG, title: `Cache ${randomUUID()}` };
    await t.http.post('/api/v1/analyze').set(auth).send({ profile: 'song-analysis', input }).expect(200);
    const hit = await t.http.post('/api/v1/analyze').set(auth).send({ profile: 'song-analysis', input }).expect(200);
    expect(hit.body.cached).toBe(true);
    await recorder.flush();
    expect((await examples(tenant.id)).map((r) => r.source)).toEqual(['analyze']);

    const key = await makeApiKey(t.dataSource, tenant);
    await t.http
      .post('/v1/chat/completions')
      .set('Authorization', `Bearer ${key.key}`)
      .send({ model: 'margin/fast', messages: [{ role: 'user', content: 'Say hello to the training set' }] })
      .expect(200);
    // The gateway books in the background: wait for the recorder to see the call.
    for (let i = 0; i < 50 && (await examples(tenant.id)).length < 2; i++) {
      await recorder.flush();
      await new Promise((r) => setTimeout(r, 20));
    }
    const rows = await examples(tenant.id);
    expect(rows.map((r) => [r.source, r.operation])).toEqual([
      ['analyze', 'analyze'],
      ['v1', 'chat'],
    ]);
  });

  it('a tenant that opts out records nothing; settings are the admin’s', async () => {
    const admin = await makeSession(t.dataSource, t.http, { role: 'admin' });
    const member = await makeSession(t.dataSource, t.http, { role: 'member', tenant: admin.tenant });
    expect((await t.http.get('/api/v1/training/settings').set(member.auth).expect(200)).body).toEqual({
      recordExamples: true,
      retentionDays: 90,
      promotionMode: 'propose',
      promotionMinJudged: 20,
      promotionMargin: 5,
    });
    await t.http.put('/api/v1/training/settings').set(member.auth).send({ recordExamples: false }).expect(403);
    const bad = await t.http.put('/api/v1/training/settings').set(admin.auth).send({ retentionDays: 0 }).expect(400);
    expect(JSON.stringify(bad.body.message)).toContain('retentionDays');
    for (const [field, value] of [
      ['promotionMode', 'sometimes'],
      ['promotionMinJudged', 0],
      ['promotionMargin', 101],
    ] as const) {
      const res = await t.http
        .put('/api/v1/training/settings')
        .set(admin.auth)
        .send({ [field]: value })
        .expect(400);
      expect(JSON.stringify(res.body.message)).toContain(field);
    }
    const rule = await t.http
      .put('/api/v1/training/settings')
      .set(admin.auth)
      .send({ promotionMode: 'auto', promotionMinJudged: 3, promotionMargin: 2.5 })
      .expect(200);
    expect(rule.body).toMatchObject({ recordExamples: true, promotionMode: 'auto', promotionMinJudged: 3, promotionMargin: 2.5 });
    await t.http.put('/api/v1/training/settings').set(admin.auth).send({ recordExamples: false }).expect(200);
    // Settings are the tenant's own: another tenant still records, by default.
    const outsider = await makeSession(t.dataSource, t.http, { role: 'owner' });
    expect((await t.http.get('/api/v1/training/settings').set(outsider.auth).expect(200)).body).toMatchObject({
      recordExamples: true,
      promotionMode: 'propose',
    });
    const item = await makeItem(admin.tenant.id);
    await runItem(admin.tenant.id, item, 'song-analysis', SONG);
    expect(await examples(admin.tenant.id)).toHaveLength(0);
  });

  it('retention deletes examples older than the tenant’s days, and only those', async () => {
    const admin = await makeSession(t.dataSource, t.http, { role: 'admin' });
    await t.http.put('/api/v1/training/settings').set(admin.auth).send({ retentionDays: 7 }).expect(200);
    const other = await makeTenant(t.dataSource);
    for (const tenantId of [admin.tenant.id, other.id]) {
      const item = await makeItem(tenantId);
      await runItem(tenantId, item, 'song-analysis', SONG);
    }
    // Ten days old: past the admin tenant's 7 days, within the other's default 90.
    await t.dataSource.query(`UPDATE training_examples SET created_at = now() - interval '10 days' WHERE tenant_id = ANY($1)`, [[admin.tenant.id, other.id]]);
    expect(await new ExampleRetention(t.app.get(ExamplesQueryRepository), t.app.get(Clock)).prune()).toBeGreaterThanOrEqual(1);
    expect(await examples(admin.tenant.id)).toHaveLength(0);
    expect(await examples(other.id)).toHaveLength(1);
  });

  it('an A/B cell records the arm of each call in the ledger and the examples; the per-arm report joins calls, cost and ratings', async () => {
    const admin = await makeSession(t.dataSource, t.http, { role: 'admin' });
    await t.http
      .put('/api/v1/router/policy')
      .set(admin.auth)
      .send({
        scope: 'tenant',
        cells: [{ operation: 'analyze', complexity: 'simple', candidates: ['openai/gpt-4o-mini'], abTest: { challenger: 'ollama/qwen3:8b', share: 0.5 } }],
      })
      .expect(200);
    const items: Array<{ jobId: string; itemId: string }> = [];
    for (let i = 0; i < 12; i++) {
      const item = await makeItem(admin.tenant.id);
      await runItem(admin.tenant.id, item, 'song-analysis', { ...SONG, title: `AB ${i}` });
      items.push(item);
    }
    const ledger = (await t.dataSource.query(`SELECT model_id, ab_arm, complexity FROM llm_calls WHERE tenant_id = $1`, [admin.tenant.id])) as Array<{
      model_id: string;
      ab_arm: string;
      complexity: string;
    }>;
    expect(ledger).toHaveLength(12);
    for (const row of ledger) {
      expect(row.ab_arm).toBe(row.model_id === 'ollama/qwen3:8b' ? 'challenger' : 'incumbent');
      expect(row.complexity).toBe('simple');
    }
    // Twelve item ids split by hash: both arms served (the chance of one arm only is 2 × 0.5^12).
    expect(new Set(ledger.map((r) => r.ab_arm))).toEqual(new Set(['incumbent', 'challenger']));
    const rows = await examples(admin.tenant.id);
    expect(rows).toHaveLength(12);
    await t.http.post(`/api/v1/items/${items[0]?.itemId}/feedback`).set(admin.auth).send({ rating: 4 }).expect(201);

    const report = await t.http.get('/api/v1/training/ab-report').set(admin.auth).expect(200);
    const arms = report.body.arms as Array<{ arm: string; model: string; calls: number; failures: number; costUsd: number; rated: number }>;
    expect(arms.map((a) => a.arm).sort()).toEqual(['challenger', 'incumbent']);
    expect(arms.reduce((n, a) => n + a.calls, 0)).toBe(12);
    expect(arms.reduce((n, a) => n + a.rated, 0)).toBe(1);
    expect(arms.find((a) => a.arm === 'challenger')?.model).toBe('ollama/qwen3:8b');
    const outsider = await makeSession(t.dataSource, t.http, { role: 'owner' });
    expect((await t.http.get('/api/v1/training/ab-report').set(outsider.auth).expect(200)).body.arms).toEqual([]);

    // The promotion rule: too little evidence holds; once each arm has rated answers of equal quality, the
    // free challenger is promoted (arms swapped in the tenant's policy), and the promotion can be reverted.
    const evaluate = { operation: 'analyze', complexity: 'simple', minJudged: 2, margin: 5, apply: true };
    const held = await t.http.post('/api/v1/training/promotions').set(admin.auth).send(evaluate).expect(201);
    expect(held.body).toMatchObject({
      action: 'hold',
      status: 'held',
      origin: 'manual',
      actorUserId: admin.user.id,
      applied: false,
      fromModel: 'openai/gpt-4o-mini',
      toModel: 'ollama/qwen3:8b',
      decision: { action: 'hold', reason: expect.stringContaining('not enough evidence') },
    });
    for (const item of items) await t.http.post(`/api/v1/items/${item.itemId}/feedback`).set(admin.auth).send({ rating: 4 }).expect(201);
    const member = await makeSession(t.dataSource, t.http, { role: 'member', tenant: admin.tenant });
    await t.http.post('/api/v1/training/promotions').set(member.auth).send(evaluate).expect(403);
    const bad = await t.http
      .post('/api/v1/training/promotions')
      .set(admin.auth)
      .send({ ...evaluate, complexity: 'hard' })
      .expect(400);
    expect(JSON.stringify(bad.body.message)).toContain('complexity');
    const promoted = await t.http.post('/api/v1/training/promotions').set(admin.auth).send(evaluate).expect(201);
    expect(promoted.body).toMatchObject({ action: 'promote', applied: true });
    const cell = async () =>
      ((await t.http.get('/api/v1/router/policy').set(admin.auth).expect(200)).body.effective as Array<{ operation: string; complexity: string }>).find(
        (c) => c.operation === 'analyze' && c.complexity === 'simple',
      );
    expect(await cell()).toMatchObject({ candidates: ['ollama/qwen3:8b', 'openai/gpt-4o-mini'], abTest: { challenger: 'openai/gpt-4o-mini', share: 0.5 } });
    await t.http.post(`/api/v1/training/promotions/${promoted.body.id}/revert`).set(outsider.auth).expect(404);
    // Another tenant's evaluation weighs its own policy, where the cell has no split.
    const theirs = await t.http.post('/api/v1/training/promotions').set(outsider.auth).send(evaluate).expect(400);
    expect(JSON.stringify(theirs.body.message)).toContain('no A/B split');
    await t.http.post(`/api/v1/training/promotions/${promoted.body.id}/approve`).set(outsider.auth).expect(404);
    const reverted = await t.http.post(`/api/v1/training/promotions/${promoted.body.id}/revert`).set(admin.auth).expect(200);
    expect(reverted.body.revertedAt).toEqual(expect.any(String));
    expect(await cell()).toMatchObject({ candidates: ['openai/gpt-4o-mini'], abTest: { challenger: 'ollama/qwen3:8b', share: 0.5 } });
    await t.http.post(`/api/v1/training/promotions/${promoted.body.id}/revert`).set(admin.auth).expect(409);
    const log = await t.http.get('/api/v1/training/promotions').set(admin.auth).expect(200);
    expect(log.body.map((p: { action: string }) => p.action)).toEqual(['promote', 'hold']);
  });

  describe('feedback', () => {
    it('rates and corrects an item: 400 naming rating, edits checked against the profile’s output schema, 404 for another tenant’s item', async () => {
      const { tenant, auth } = await makeSession(t.dataSource, t.http, { role: 'member' });
      const outsider = await makeSession(t.dataSource, t.http, { role: 'owner' });
      const item = await makeItem(tenant.id);
      const result = await runItem(tenant.id, item, 'song-analysis', SONG);
      const url = `/api/v1/items/${item.itemId}/feedback`;

      const low = await t.http.post(url).set(auth).send({ rating: 0 }).expect(400);
      expect(JSON.stringify(low.body.message)).toContain('rating');
      const high = await t.http.post(url).set(auth).send({ rating: 6 }).expect(400);
      expect(JSON.stringify(high.body.message)).toContain('rating');
      const badEdits = await t.http
        .post(url)
        .set(auth)
        .send({ rating: 4, edits: { ...(result.output as object), verdict: 'maybe' } })
        .expect(400);
      expect(JSON.stringify(badEdits.body.message)).toContain('edits.verdict');
      const badStep = await t.http.post(url).set(auth).send({ rating: 4, step: 'nope', edits: {} }).expect(400);
      expect(JSON.stringify(badStep.body.message)).toContain('step');
      await t.http.post(url).set(outsider.auth).send({ rating: 5 }).expect(404);
      await t.http.post(`/api/v1/items/${randomUUID()}/feedback`).set(auth).send({ rating: 5 }).expect(404);

      const edits = { ...(result.output as Record<string, unknown>), summary: 'A calm song of hope, corrected by a person.', verdict: 'approved', score: 95 };
      const saved = await t.http.post(url).set(auth).send({ rating: 5, approved: true, edits, comment: 'fixed the summary' }).expect(201);
      expect(saved.body).toMatchObject({ itemId: item.itemId, jobId: item.jobId, rating: 5, approved: true, edits, exampleId: expect.any(String) });

      const list = await t.http.get('/api/v1/training/examples').set(auth).expect(200);
      expect(list.body.data).toHaveLength(1);
      expect(list.body.data[0]).toMatchObject({
        itemId: item.itemId,
        profileKey: 'song-analysis',
        step: 'analyze',
        output: result.output,
        feedback: { rating: 5, approved: true, edited: true, comment: 'fixed the summary' },
      });
      // another tenant sees none of it
      expect((await t.http.get('/api/v1/training/examples').set(outsider.auth).expect(200)).body.data).toEqual([]);

      const exported = await t.http.get('/api/v1/training/export?format=openai-jsonl').set(auth).expect(200);
      expect(exported.headers['content-type']).toContain('application/x-ndjson');
      const lines = exported.text.split('\n').filter((l) => l !== '');
      expect(lines).toHaveLength(1);
      expect(openAiLineProblems(lines[0] as string)).toEqual([]);
      const line = JSON.parse(lines[0] as string) as { messages: Array<{ role: string; content: string }> };
      expect(line.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant']);
      expect(JSON.parse(line.messages[2]?.content ?? '')).toEqual(edits);
      expect((await t.http.get('/api/v1/training/export?format=openai-jsonl').set(outsider.auth).expect(200)).text).toBe('');
    });
  });

  describe('listing and exports', () => {
    let auth: { Authorization: string };
    let tenantId: string;
    const items: Array<{ jobId: string; itemId: string }> = [];

    beforeAll(async () => {
      const s = await makeSession(t.dataSource, t.http, { role: 'member' });
      auth = s.auth;
      tenantId = s.tenant.id;
      // Five items: two of them the same song (duplicates by input), rated differently.
      const songs = [SONG, SONG, { ...SONG, title: 'Second' }, { ...SONG, title: 'Third' }, { ...SONG, title: 'Fourth' }];
      for (const song of songs) {
        const item = await makeItem(tenantId);
        await runItem(tenantId, item, 'song-analysis', song);
        items.push(item);
      }
      const ratings = [2, 5, 4, 3, 1];
      for (const [i, item] of items.entries()) {
        await t.http
          .post(`/api/v1/items/${item.itemId}/feedback`)
          .set(auth)
          .send({ rating: ratings[i], approved: (ratings[i] ?? 0) >= 4 })
          .expect(201);
      }
    });

    it('pages with a cursor, newest first, and filters', async () => {
      const first = await t.http.get('/api/v1/training/examples?limit=2').set(auth).expect(200);
      expect(first.body.data).toHaveLength(2);
      expect(first.body.nextCursor).toEqual(expect.any(String));
      const seen = [...first.body.data];
      let cursor: string | null = first.body.nextCursor;
      while (cursor) {
        const page = await t.http
          .get(`/api/v1/training/examples?limit=2&cursor=${encodeURIComponent(cursor)}`)
          .set(auth)
          .expect(200);
        seen.push(...page.body.data);
        cursor = page.body.nextCursor;
      }
      expect(new Set(seen.map((e: { id: string }) => e.id)).size).toBe(5);
      const created = seen.map((e: { createdAt: string }) => e.createdAt);
      expect([...created].sort().reverse()).toEqual(created);

      const rated = await t.http.get('/api/v1/training/examples?minRating=4').set(auth).expect(200);
      expect(rated.body.data.map((e: { feedback: { rating: number } }) => e.feedback.rating).sort()).toEqual([4, 5]);
      expect((await t.http.get('/api/v1/training/examples?operation=assess').set(auth).expect(200)).body.data).toEqual([]);
      expect((await t.http.get(`/api/v1/training/examples?itemId=${items[2]?.itemId}`).set(auth).expect(200)).body.data).toHaveLength(1);
      const bad = await t.http.get('/api/v1/training/examples?minRating=9').set(auth).expect(400);
      expect(JSON.stringify(bad.body.message)).toContain('minRating');
      await t.http.get('/api/v1/training/examples?cursor=nonsense').set(auth).expect(400);
    });

    it('exports with filters, dedupe keeping the best rated, and a deterministic split', async () => {
      const all = parseLines((await t.http.get('/api/v1/training/export?format=openai-jsonl').set(auth).expect(200)).text);
      expect(all).toHaveLength(5);
      const approved = parseLines((await t.http.get('/api/v1/training/export?format=openai-jsonl&approvedOnly=true').set(auth).expect(200)).text);
      expect(approved).toHaveLength(2);
      const deduped = (await t.http.get('/api/v1/training/export?format=openai-jsonl&dedupe=true').set(auth).expect(200)).text;
      expect(parseLines(deduped)).toHaveLength(4);
      // The duplicate kept is the one rated 5: with minRating=5 after dedupe, it is still there.
      const best = parseLines((await t.http.get('/api/v1/training/export?format=openai-jsonl&dedupe=true&minRating=5').set(auth).expect(200)).text);
      expect(best).toHaveLength(1);
      const future = new Date(Date.now() + 3600_000).toISOString();
      expect((await t.http.get(`/api/v1/training/export?format=openai-jsonl&from=${future}`).set(auth).expect(200)).text).toBe('');

      const links = await t.http.get('/api/v1/training/export?format=openai-jsonl&split=0.5&dedupe=true').set(auth).expect(200);
      expect(links.body).toEqual({ split: 0.5, train: expect.stringContaining('part=train'), validation: expect.stringContaining('part=validation') });
      const train = parseLines((await t.http.get(links.body.train).set(auth).expect(200)).text);
      const validation = parseLines((await t.http.get(links.body.validation).set(auth).expect(200)).text);
      expect(train.length + validation.length).toBe(4);
      const again = parseLines((await t.http.get(links.body.train).set(auth).expect(200)).text);
      expect(again).toEqual(train);

      const anthropic = parseLines((await t.http.get('/api/v1/training/export?format=anthropic-jsonl').set(auth).expect(200)).text) as Array<{
        system: string;
        messages: Array<{ role: string }>;
      }>;
      expect(anthropic).toHaveLength(5);
      expect(anthropic[0]?.system).toEqual(expect.any(String));
      expect(anthropic[0]?.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
      const hf = parseLines((await t.http.get('/api/v1/training/export?format=hf-jsonl').set(auth).expect(200)).text) as Array<{
        prompt: Array<{ role: string }>;
        completion: Array<{ role: string }>;
      }>;
      expect(hf[0]?.prompt.map((m) => m.role)).toEqual(['system', 'user']);
      expect(hf[0]?.completion.map((m) => m.role)).toEqual(['assistant']);

      const badFormat = await t.http.get('/api/v1/training/export?format=csv').set(auth).expect(400);
      expect(JSON.stringify(badFormat.body.message)).toContain('format');
      const bad = await t.http.get('/api/v1/training/export?format=openai-jsonl&split=2').set(auth).expect(400);
      expect(JSON.stringify(bad.body.message)).toContain('split');
      await t.http.get('/api/v1/training/export?format=openai-jsonl').expect(401);
    });

    it('datasets freeze a filtered export as numbered versions, unchanged by later feedback; other tenants see none', async () => {
      const v1 = await t.http
        .post('/api/v1/training/datasets')
        .set(auth)
        .send({ name: 'songs', filters: { minRating: 3 } })
        .expect(201);
      expect(v1.body).toMatchObject({ name: 'songs', version: 1, format: 'openai-jsonl', examples: 3, filters: { minRating: 3, dedupe: true } });
      const v2 = await t.http.post('/api/v1/training/datasets').set(auth).send({ name: 'songs', dedupe: false }).expect(201);
      expect(v2.body).toMatchObject({ version: 2, examples: 5 });
      const bad = await t.http
        .post('/api/v1/training/datasets')
        .set(auth)
        .send({ name: 'songs', filters: { minRating: 7 } })
        .expect(400);
      expect(JSON.stringify(bad.body.message)).toContain('minRating');

      // Lowering a rating afterwards changes the live export, not the frozen version.
      await t.http.post(`/api/v1/items/${items[1]?.itemId}/feedback`).set(auth).send({ rating: 1 }).expect(201);
      const lines = (await t.http.get(`/api/v1/training/datasets/${v1.body.id}/export`).set(auth).expect(200)).text.split('\n').filter((l) => l);
      expect(lines).toHaveLength(3);
      for (const line of lines) expect(openAiLineProblems(line)).toEqual([]);
      const hf = parseLines((await t.http.get(`/api/v1/training/datasets/${v1.body.id}/export?format=hf-jsonl`).set(auth).expect(200)).text);
      expect(hf).toHaveLength(3);
      expect((await t.http.get('/api/v1/training/datasets').set(auth).expect(200)).body.map((d: { version: number }) => d.version)).toEqual([2, 1]);

      const outsider = await makeSession(t.dataSource, t.http, { role: 'owner' });
      await t.http.get(`/api/v1/training/datasets/${v1.body.id}`).set(outsider.auth).expect(404);
      await t.http.get(`/api/v1/training/datasets/${v1.body.id}/export`).set(outsider.auth).expect(404);
      expect((await t.http.get('/api/v1/training/datasets').set(outsider.auth).expect(200)).body).toEqual([]);
      // The outsider's own dataset of the same name freezes none of these examples.
      const theirs = await t.http.post('/api/v1/training/datasets').set(outsider.auth).send({ name: 'songs', dedupe: false }).expect(201);
      expect(theirs.body).toMatchObject({ version: 1, examples: 0 });
    });
  });
});
