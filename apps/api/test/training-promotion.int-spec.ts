import { PipelineRunner, ProfilesService } from '@margin/analysis';
import { CatalogService } from '@margin/model-router';
import { ExampleRecorder, PromotionsService, promotionSlot } from '@margin/training';
import { makeSession, startEmulator, startTestApp, type RunningEmulator, type TestApp } from '@margin/testing';
import { randomUUID } from 'node:crypto';
import { createApp } from '../src/create-app';
import { MIGRATIONS } from '../src/migrations';

// Names unique to this run: the catalog is installation-wide and the test database outlives one file.
const RUN = randomUUID().slice(0, 6);
const OLLAMA_FT = `qwen3-songs${RUN}:8b`;
const OPENAI_FT = `ft:gpt-4o-mini-2024-07-18:acme:songs${RUN}:AbC123`;

const SONG = (i: number) => ({
  title: `Promotion hymn ${i}`,
  artist: 'The Test Choir',
  lyrics: `Verse ${i}: the morning light is on the hill\nWe walk together, calm and still\nNo fear tonight, just hope ${i}`,
});

type Session = Awaited<ReturnType<typeof makeSession>>;

describe('fine-tuned models in the catalog, and the scheduled promotion rule', () => {
  let emu: RunningEmulator;
  let t: TestApp;
  let operator: Session;
  let promotions: PromotionsService;

  const route = (id: string) => `/api/v1/router/models/${encodeURIComponent(id)}`;

  /** Runs `n` song items of a job through the pipeline as the worker would; returns item id → model that served it. */
  const runItems = async (tenantId: string, n: number): Promise<Map<string, string>> => {
    const runner = t.app.get(PipelineRunner);
    const profile = await t.app.get(ProfilesService).resolve(tenantId, 'song-analysis');
    const jobId = randomUUID();
    await t.dataSource.query(
      `INSERT INTO jobs (id, tenant_id, profile_key, profile_version, status, priority, total_items) VALUES ($1, $2, 'song-analysis', 1, 'running', 'medium', $3)`,
      [jobId, tenantId, n],
    );
    const served = new Map<string, string>();
    for (let i = 0; i < n; i++) {
      const itemId = randomUUID();
      await t.dataSource.query(
        `INSERT INTO job_items (id, job_id, tenant_id, index, input, input_hash, status) VALUES ($1, $2, $3, $4, '{}', $5, 'completed')`,
        [itemId, jobId, tenantId, i, `${i}`.padStart(64, 'a')],
      );
      const result = await runner.run(profile, SONG(i), { tenantId, jobId, itemId, attemptKey: `${itemId}:1` });
      await result.settled;
    }
    await t.app.get(ExampleRecorder).flush();
    const rows = (await t.dataSource.query(`SELECT item_id, model_id FROM training_examples WHERE tenant_id = $1 AND job_id = $2`, [
      tenantId,
      jobId,
    ])) as Array<{
      item_id: string;
      model_id: string;
    }>;
    for (const r of rows) served.set(r.item_id, r.model_id);
    expect(served.size).toBe(n);
    return served;
  };

  const rate = async (s: Session, served: Map<string, string>, ratingOf: (model: string) => number) => {
    for (const [itemId, model] of served)
      await t.http
        .post(`/api/v1/items/${itemId}/feedback`)
        .set(s.auth)
        .send({ rating: ratingOf(model) })
        .expect(201);
  };

  const cell = async (s: Session) =>
    ((await t.http.get('/api/v1/router/policy').set(s.auth).expect(200)).body.effective as Array<{ operation: string; complexity: string }>).find(
      (c) => c.operation === 'analyze' && c.complexity === 'simple',
    );

  const split = (s: Session, incumbent: string, challenger: string) =>
    t.http
      .put('/api/v1/router/policy')
      .set(s.auth)
      .send({ scope: 'tenant', cells: [{ operation: 'analyze', complexity: 'simple', candidates: [incumbent], abTest: { challenger, share: 0.5 } }] })
      .expect(200);

  beforeAll(async () => {
    emu = await startEmulator();
    t = await startTestApp((c) => createApp(c), { env: emu.env, migrations: MIGRATIONS });
    operator = await makeSession(t.dataSource, t.http, { role: 'admin', isOperator: true, plan: 'unlimited' });
    promotions = t.app.get(PromotionsService);
  });
  afterAll(async () => {
    await t.close();
    await emu.close();
  });

  describe('registering a fine-tuned model', () => {
    it('validates every field by name; only the operator’s admins register; a duplicate is 409', async () => {
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ name: OLLAMA_FT }, 'baseModel'],
        [{ baseModel: 'ollama/qwen9:1b', name: OLLAMA_FT }, 'baseModel'],
        [{ baseModel: 'ollama/qwen3:8b' }, 'name'],
        [{ baseModel: 'ollama/qwen3:8b', name: 'Qwen Songs' }, 'name'],
        [{ baseModel: 'openai/gpt-4o', name: OPENAI_FT }, 'name'],
        [{ baseModel: 'openai/gpt-4o-mini', name: 'gpt-4o-mini-songs' }, 'name'],
        [{ baseModel: 'anthropic/claude-haiku-4-5', name: 'claude-haiku-songs' }, 'name'],
        [{ baseModel: 'ollama/qwen3:8b', name: OLLAMA_FT, tier: 'gold' }, 'tier'],
        [{ baseModel: 'ollama/qwen3:8b', name: OLLAMA_FT, contextWindow: 10 }, 'contextWindow'],
        [{ baseModel: 'openai/gpt-4o-mini', name: OPENAI_FT, price: { inputPerMTok: -1, outputPerMTok: 1 } }, 'inputPerMTok'],
        [{ baseModel: 'openai/gpt-4o-mini', name: OPENAI_FT, price: { inputPerMTok: 1 } }, 'outputPerMTok'],
      ];
      for (const [body, field] of cases) {
        const res = await t.http.post('/api/v1/router/models').set(operator.auth).send(body);
        expect({ body, status: res.status }).toEqual({ body, status: 400 });
        expect(JSON.stringify(res.body.message)).toContain(field);
      }
      const tenantAdmin = await makeSession(t.dataSource, t.http, { role: 'admin' });
      await t.http.post('/api/v1/router/models').set(tenantAdmin.auth).send({ baseModel: 'ollama/qwen3:8b', name: OLLAMA_FT }).expect(403);
      const operatorMember = await makeSession(t.dataSource, t.http, { role: 'member', tenant: operator.tenant });
      await t.http.post('/api/v1/router/models').set(operatorMember.auth).send({ baseModel: 'ollama/qwen3:8b', name: OLLAMA_FT }).expect(403);
      expect((await t.http.get('/api/v1/router/models').set(operator.auth).expect(200)).body.map((m: { name: string }) => m.name)).not.toContain(OLLAMA_FT);
    });

    it('inherits capabilities, tier, window, limits and price from the base, or takes OpenAI’s fine-tuned price', async () => {
      const local = await t.http.post('/api/v1/router/models').set(operator.auth).send({ baseModel: 'ollama/qwen3:8b', name: OLLAMA_FT }).expect(201);
      const base = (await t.http.get(route('ollama/qwen3:8b')).set(operator.auth).expect(200)).body;
      expect(local.body).toMatchObject({
        id: `ollama/${OLLAMA_FT}`,
        providerId: 'ollama',
        name: OLLAMA_FT,
        baseModel: 'ollama/qwen3:8b',
        tier: base.tier,
        contextWindow: base.contextWindow,
        capabilities: base.capabilities,
        maxConcurrency: base.maxConcurrency,
        enabled: true,
        price: { inputPerMTok: 0, outputPerMTok: 0 },
      });
      expect(base.baseModel).toBeNull();
      await t.http.post('/api/v1/router/models').set(operator.auth).send({ baseModel: 'ollama/qwen3:8b', name: OLLAMA_FT }).expect(409);

      const cloud = await t.http
        .post('/api/v1/router/models')
        .set(operator.auth)
        .send({ baseModel: 'openai/gpt-4o-mini', name: OPENAI_FT, price: { inputPerMTok: 0.3, cachedInputPerMTok: 0.15, outputPerMTok: 1.2 } })
        .expect(201);
      expect(cloud.body).toMatchObject({
        id: `openai/${OPENAI_FT}`,
        baseModel: 'openai/gpt-4o-mini',
        tier: 'cheap',
        contextWindow: 128000,
        rpm: 500,
        price: { inputPerMTok: 0.3, cachedInputPerMTok: 0.15, outputPerMTok: 1.2 },
      });
      expect(cloud.body.capabilities).toEqual(expect.arrayContaining(['chat', 'json', 'tools']));
      // Every process sees it: the catalog snapshot took the change.
      expect(t.app.get(CatalogService).model(`openai/${OPENAI_FT}`)?.baseModelId).toBe('openai/gpt-4o-mini');
    });

    it('the router sends calls to it as a candidate, over the provider’s wire protocol, priced at its own price', async () => {
      const admin = await makeSession(t.dataSource, t.http, { role: 'admin' });
      await t.http
        .put('/api/v1/router/policy')
        .set(admin.auth)
        .send({ scope: 'tenant', cells: [{ operation: 'analyze', complexity: 'simple', candidates: [`openai/${OPENAI_FT}`] }] })
        .expect(200);
      const routed = await t.http.post('/api/v1/router/route').set(admin.auth).send({ operation: 'analyze', complexity: 'simple' }).expect(200);
      expect(routed.body.chosen).toMatchObject({ model: `openai/${OPENAI_FT}`, tier: 'cheap' });
      await runItems(admin.tenant.id, 1);
      const [call] = (await t.dataSource.query(
        `SELECT model_id, outcome, input_tokens, output_tokens, cached_input_tokens, cost_usd FROM llm_calls WHERE tenant_id = $1`,
        [admin.tenant.id],
      )) as Array<{ model_id: string; outcome: string; input_tokens: number; output_tokens: number; cached_input_tokens: number; cost_usd: string }>;
      expect(call).toMatchObject({ model_id: `openai/${OPENAI_FT}`, outcome: 'success' });
      const c = call as NonNullable<typeof call>;
      const expected = ((c.input_tokens - c.cached_input_tokens) * 0.3 + c.cached_input_tokens * 0.15 + c.output_tokens * 1.2) / 1e6;
      expect(Number(c.cost_usd)).toBeCloseTo(expected, 10);
    });
  });

  describe('the scheduled rule', () => {
    it('auto: promotes the cheaper fine-tuned challenger once each arm has the evidence, once per slot however many run it; demotes it on regression', async () => {
      const admin = await makeSession(t.dataSource, t.http, { role: 'admin' });
      const challenger = `ollama/${OLLAMA_FT}`;
      await split(admin, 'openai/gpt-4o-mini', challenger);
      await t.http.put('/api/v1/training/settings').set(admin.auth).send({ promotionMode: 'auto', promotionMinJudged: 3, promotionMargin: 5 }).expect(200);
      const served = await runItems(admin.tenant.id, 16);
      expect(new Set(served.values())).toEqual(new Set(['openai/gpt-4o-mini', challenger]));

      // No judged answers yet: the rule holds, and a hold leaves nothing in the log.
      const slot1 = promotionSlot(new Date(), 60_000);
      await promotions.evaluateScheduled(new Date(slot1.getTime() - 60_000));
      expect((await t.http.get('/api/v1/training/promotions').set(admin.auth).expect(200)).body).toEqual([]);

      await rate(admin, served, () => 4);
      // Two workers (or a re-run) on the same slot: one promotion.
      const runs = await Promise.all([promotions.evaluateScheduled(slot1), promotions.evaluateScheduled(slot1)]);
      expect(runs.reduce((n, r) => n + r.promoted, 0)).toBe(1);
      expect((await promotions.evaluateScheduled(slot1)).promoted).toBe(0);
      const log = (await t.http.get('/api/v1/training/promotions').set(admin.auth).expect(200)).body;
      expect(log).toHaveLength(1);
      expect(log[0]).toMatchObject({
        action: 'promote',
        status: 'applied',
        origin: 'scheduled',
        actorUserId: null,
        fromModel: 'openai/gpt-4o-mini',
        toModel: challenger,
        reason: expect.stringContaining('within 5'),
      });
      expect(log[0].evidence.arms).toHaveLength(2);
      expect(await cell(admin)).toMatchObject({ candidates: [challenger, 'openai/gpt-4o-mini'], abTest: { challenger: 'openai/gpt-4o-mini', share: 0.5 } });

      // A later slot weighs only what came after the promotion: nothing yet, so nothing happens.
      const slot2 = new Date(slot1.getTime() + 60_000);
      expect(await promotions.evaluateScheduled(slot2)).toMatchObject({ promoted: 0, demoted: 0 });

      // The fine-tuned model regresses against the old incumbent (now its challenger): demoted, the promotion undone.
      const after = await runItems(admin.tenant.id, 16);
      await rate(admin, after, (model) => (model === challenger ? 2 : 5));
      const slot3 = new Date(slot2.getTime() + 60_000);
      expect((await promotions.evaluateScheduled(slot3)).demoted).toBe(1);
      const [demotion, promotion] = (await t.http.get('/api/v1/training/promotions').set(admin.auth).expect(200)).body;
      expect(demotion).toMatchObject({ action: 'demote', status: 'applied', fromModel: challenger, toModel: 'openai/gpt-4o-mini', revertsId: promotion.id });
      expect(demotion.reason).toMatch(/regression/);
      expect(promotion).toMatchObject({ status: 'reverted' });
      expect(await cell(admin)).toMatchObject({ candidates: ['openai/gpt-4o-mini'], abTest: { challenger, share: 0.5 } });

      // Reversible: undoing the demotion puts the promotion back in force.
      await t.http.post(`/api/v1/training/promotions/${demotion.id}/revert`).set(admin.auth).expect(200);
      expect(await cell(admin)).toMatchObject({ candidates: [challenger, 'openai/gpt-4o-mini'] });
      const restored = (await t.http.get('/api/v1/training/promotions').set(admin.auth).expect(200)).body;
      expect(restored.find((p: { id: string }) => p.id === promotion.id)).toMatchObject({ status: 'applied', revertedAt: null });
      expect(restored.find((p: { id: string }) => p.id === demotion.id)).toMatchObject({ status: 'reverted', revertedBy: admin.user.id });
    });

    it('off: nothing; propose: one proposal awaiting its click, approved by an admin of the tenant once; a regression proposes the demotion', async () => {
      const admin = await makeSession(t.dataSource, t.http, { role: 'admin' });
      const challenger = `ollama/${OLLAMA_FT}`;
      await split(admin, 'openai/gpt-4o-mini', challenger);
      await t.http.put('/api/v1/training/settings').set(admin.auth).send({ promotionMode: 'off', promotionMinJudged: 3 }).expect(200);
      const served = await runItems(admin.tenant.id, 16);
      await rate(admin, served, () => 5);
      const slot = promotionSlot(new Date(), 60_000);
      await promotions.evaluateScheduled(slot);
      expect((await t.http.get('/api/v1/training/promotions').set(admin.auth).expect(200)).body).toEqual([]);

      await t.http.put('/api/v1/training/settings').set(admin.auth).send({ promotionMode: 'propose' }).expect(200);
      await promotions.evaluateScheduled(new Date(slot.getTime() + 60_000));
      await promotions.evaluateScheduled(new Date(slot.getTime() + 120_000));
      const [proposal, ...rest] = (await t.http.get('/api/v1/training/promotions').set(admin.auth).expect(200)).body;
      expect(rest).toEqual([]);
      expect(proposal).toMatchObject({ action: 'promote', status: 'proposed', applied: false, origin: 'scheduled', toModel: challenger });
      expect(await cell(admin)).toMatchObject({ candidates: ['openai/gpt-4o-mini'] });

      const member = await makeSession(t.dataSource, t.http, { role: 'member', tenant: admin.tenant });
      await t.http.post(`/api/v1/training/promotions/${proposal.id}/approve`).set(member.auth).expect(403);
      const outsider = await makeSession(t.dataSource, t.http, { role: 'owner' });
      await t.http.post(`/api/v1/training/promotions/${proposal.id}/approve`).set(outsider.auth).expect(404);
      await t.http.post(`/api/v1/training/promotions/not-a-uuid/approve`).set(admin.auth).expect(400);
      const approved = await t.http.post(`/api/v1/training/promotions/${proposal.id}/approve`).set(admin.auth).expect(200);
      expect(approved.body).toMatchObject({ status: 'applied', applied: true, approvedBy: admin.user.id, approvedAt: expect.any(String) });
      expect(await cell(admin)).toMatchObject({ candidates: [challenger, 'openai/gpt-4o-mini'], abTest: { challenger: 'openai/gpt-4o-mini' } });
      await t.http.post(`/api/v1/training/promotions/${proposal.id}/approve`).set(admin.auth).expect(409);

      // A regression is proposed as a demotion too, and one click undoes the promotion.
      const after = await runItems(admin.tenant.id, 16);
      await rate(admin, after, (model) => (model === challenger ? 1 : 5));
      await promotions.evaluateScheduled(new Date(slot.getTime() + 180_000));
      const [demotion] = (await t.http.get('/api/v1/training/promotions').set(admin.auth).expect(200)).body;
      expect(demotion).toMatchObject({ action: 'demote', status: 'proposed', revertsId: proposal.id, fromModel: challenger, toModel: 'openai/gpt-4o-mini' });
      expect(await cell(admin)).toMatchObject({ candidates: [challenger, 'openai/gpt-4o-mini'] });
      await t.http.post(`/api/v1/training/promotions/${demotion.id}/approve`).set(admin.auth).expect(200);
      expect(await cell(admin)).toMatchObject({ candidates: ['openai/gpt-4o-mini'], abTest: { challenger } });
      const log = (await t.http.get('/api/v1/training/promotions').set(admin.auth).expect(200)).body as Array<{ id: string; status: string }>;
      expect(log.map((p) => [p.id, p.status])).toEqual([
        [demotion.id, 'applied'],
        [proposal.id, 'reverted'],
      ]);
      await t.http.post(`/api/v1/training/promotions/${proposal.id}/revert`).set(outsider.auth).expect(404);
      await t.http.post(`/api/v1/training/promotions/${proposal.id}/revert`).set(admin.auth).expect(409);
      expect((await t.http.get('/api/v1/training/promotions').set(outsider.auth).expect(200)).body).toEqual([]);
    });
  });
});
