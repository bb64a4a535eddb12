// Request plans through the real API, queue, worker and LLM emulator: a sentence becomes a plan (intake
// ledgered; targets matched; questions for what it cannot decide), edited and re-estimated, refused over its
// budget with the cheapest plan offered, approved once into a job that runs the pinned models and publishes,
// and, once finished, keeps its actual cost and time for the accuracy KPI.
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { RequestPlanView } from '@margin/contracts';
import { PublishingWorkerModule } from '@margin/publishing';
import { makeSession, startEmulator, startTestApp, type RunningEmulator, type TestApp } from '@margin/testing';
import { createApp } from '../src/create-app';
import { MIGRATIONS } from '../src/migrations';
import { announceTestWorker, testWorkerModule } from './support/test-worker';

async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const SENTENCE = 'Create a blog post about AI safety for tech leads, auto-publish to LinkedIn and our blog, under $0.50';

describe('request plans', () => {
  let t: TestApp;
  let worker: INestApplicationContext;
  let heartbeat: { stop: () => Promise<void> } | undefined;
  let emulator: RunningEmulator;

  beforeAll(async () => {
    emulator = await startEmulator();
    t = await startTestApp(createApp, { migrations: MIGRATIONS, env: { ...emulator.env, PUBLIC_URL: 'http://blog.test' } });
    worker = await NestFactory.createApplicationContext(testWorkerModule(t.config, [PublishingWorkerModule]), { logger: false });
    await worker.init();
    heartbeat = await announceTestWorker(worker, 'plans-test');
  });
  afterAll(async () => {
    await heartbeat?.stop();
    await worker?.close();
    await t?.close();
    await emulator?.close();
  });

  it('turns the seed sentence into a plan, asks what it cannot decide, re-estimates edits, refuses it over budget, and runs it once', async () => {
    const { auth, tenant } = await makeSession(t.dataSource, t.http, { role: 'admin' });
    const blog = (await t.http.post('/api/v1/endpoints').set(auth).send({ type: 'blog', name: 'Our blog' }).expect(201)).body as { id: string };

    const created = await t.http.post('/api/v1/plans').set(auth).send({ request: SENTENCE }).expect(201);
    let plan = created.body as RequestPlanView;
    expect(plan).toMatchObject({
      status: 'needs_input',
      sentence: SENTENCE,
      profile: 'blog-post@1',
      items: 1,
      budgetUsd: 0.5,
      intake: { profile: 'blog-post', topic: 'AI safety', audience: 'tech leads', budgetUsd: 0.5, endpointMentions: ['our blog', 'linkedin'] },
      endpoints: [{ id: blog.id, name: 'Our blog', type: 'blog' }],
    });
    // LinkedIn is no endpoint of this tenant: asked, never guessed
    expect(plan.questions).toEqual([
      expect.objectContaining({ field: 'endpoint:linkedin', options: [expect.objectContaining({ value: blog.id }), { value: 'none', label: 'Leave it out' }] }),
    ]);
    expect(plan.steps.map((s) => s.step)).toEqual(['research', 'outline', 'draft', 'assess', 'refine']);
    for (const s of plan.steps) {
      expect(s.model).toEqual(expect.any(String));
      expect(s.reason).toContain(s.model as string);
      expect(s.worstCaseUsd).toBeGreaterThanOrEqual(s.costUsd);
    }
    expect(plan.worstCaseUsd).toBeGreaterThanOrEqual(plan.costUsd);
    // the intake was a model call like any other: routed (local first) and in the ledger
    const intake = await t.dataSource.query(`SELECT model_id, attempt_id FROM llm_calls WHERE tenant_id = $1 AND operation = 'intake'`, [tenant.id]);
    expect(intake).toEqual([{ model_id: expect.stringMatching(/^ollama\//), attempt_id: `plan:${plan.id}:intake:0` }]);

    const refused = await t.http.post(`/api/v1/plans/${plan.id}/approve`).set(auth).expect(409);
    expect(refused.body).toMatchObject({ code: 'plan_needs_input' });

    plan = (
      await t.http
        .patch(`/api/v1/plans/${plan.id}`)
        .set(auth)
        .send({ answers: { 'endpoint:linkedin': 'none' } })
        .expect(200)
    ).body as RequestPlanView;
    expect(plan).toMatchObject({ status: 'proposed', questions: [], endpoints: [{ id: blog.id }] });

    // a hand-picked model for the draft: re-estimated, and the job will run it
    plan = (
      await t.http
        .patch(`/api/v1/plans/${plan.id}`)
        .set(auth)
        .send({ steps: [{ step: 'draft', model: 'openai/gpt-4o-mini' }] })
        .expect(200)
    ).body as RequestPlanView;
    const draft = plan.steps.find((s) => s.step === 'draft');
    expect(draft).toMatchObject({ model: 'openai/gpt-4o-mini', pinned: true, reason: expect.stringContaining('chosen by hand') });
    expect(draft?.costUsd).toBeGreaterThan(0);
    const bad = await t.http
      .patch(`/api/v1/plans/${plan.id}`)
      .set(auth)
      .send({ steps: [{ step: 'draft', model: 'nope/never' }] })
      .expect(400);
    expect(JSON.stringify(bad.body)).toContain('steps.0.model');

    // over its budget: refused, with the cheapest plan that fits offered
    const tight = (
      await t.http
        .patch(`/api/v1/plans/${plan.id}`)
        .set(auth)
        .send({ budgetUsd: Number((plan.costUsd / 2).toFixed(6)) })
        .expect(200)
    ).body as RequestPlanView;
    expect(tight.fitsBudget).toBe(false);
    expect(tight.cheapest?.steps.find((s) => s.step === 'draft')?.model).not.toBe('openai/gpt-4o-mini');
    const over = await t.http.post(`/api/v1/plans/${plan.id}/approve`).set(auth).expect(409);
    expect(over.body).toMatchObject({ code: 'plan_over_budget' });
    expect(String(over.body.message)).toContain('cheapest plan that fits');
    plan = (await t.http.patch(`/api/v1/plans/${plan.id}`).set(auth).send({ budgetUsd: 0.5 }).expect(200)).body as RequestPlanView;
    expect(plan.fitsBudget).toBe(true);

    // another tenant sees nothing of it
    const other = await makeSession(t.dataSource, t.http, { role: 'admin' });
    await t.http.get(`/api/v1/plans/${plan.id}`).set(other.auth).expect(404);
    await t.http.post(`/api/v1/plans/${plan.id}/approve`).set(other.auth).expect(404);

    const approved = await t.http.post(`/api/v1/plans/${plan.id}/approve`).set(auth).expect(201);
    const jobId = approved.body.job.id as string;
    expect(approved.body.plan).toMatchObject({ status: 'approved', jobId });
    // approving again answers the same job
    expect((await t.http.post(`/api/v1/plans/${plan.id}/approve`).set(auth).expect(201)).body.job.id).toBe(jobId);
    expect(await t.dataSource.query(`SELECT count(*)::int AS n FROM jobs WHERE tenant_id = $1`, [tenant.id])).toEqual([{ n: 1 }]);

    const job = await until('the job to finish', async () => {
      const j = (await t.http.get(`/api/v1/jobs/${jobId}`).set(auth).expect(200)).body as { status: string; costUsd: number; budgetUsd: number | null };
      return ['completed', 'completed_with_errors', 'failed'].includes(j.status) ? j : null;
    });
    expect(job).toMatchObject({ status: 'completed', budgetUsd: 0.5 });
    const draftCalls = await t.dataSource.query(`SELECT DISTINCT model_id FROM llm_calls WHERE job_id = $1 AND operation = 'draft'`, [jobId]);
    expect(draftCalls).toEqual([{ model_id: 'openai/gpt-4o-mini' }]);
    // published where the plan said: a post from the item, delivered to the blog
    await until('the blog delivery', async () => {
      const posts = (await t.http.get('/api/v1/posts').set(auth).expect(200)).body as Array<{ id: string }>;
      if (!posts[0]) return null;
      const deliveries = (await t.http.get(`/api/v1/posts/${posts[0].id}/deliveries`).set(auth).expect(200)).body as Array<{
        endpointId: string;
        status: string;
      }>;
      return deliveries.find((d) => d.endpointId === blog.id && d.status === 'published');
    });

    const finished = (await t.http.get(`/api/v1/plans/${plan.id}`).set(auth).expect(200)).body as RequestPlanView;
    expect(finished.status).toBe('completed');
    // exactly what the ledger booked for the job
    const [booked] = await t.dataSource.query(`SELECT sum(cost_usd)::float8 AS usd FROM llm_calls WHERE job_id = $1`, [jobId]);
    expect(finished.actual?.costUsd).toBeCloseTo(booked.usd, 12);
    expect(finished.actual?.costUsd).toBeCloseTo(job.costUsd, 6);
    expect(finished.actual?.seconds).toEqual(expect.any(Number));
    const accuracy = (await t.http.get('/api/v1/plans/accuracy').set(auth).expect(200)).body;
    expect(accuracy.plans).toBe(1);
    expect(accuracy.medianCostError).toEqual(expect.any(Number));
    const listed = (await t.http.get('/api/v1/plans/requests').set(auth).expect(200)).body as RequestPlanView[];
    expect(listed.map((p) => p.id)).toEqual([plan.id]);
    // a finished plan no longer changes
    await t.http.patch(`/api/v1/plans/${plan.id}`).set(auth).send({ budgetUsd: 1 }).expect(409);
  });

  it('plans structured requests, validating every field and item like a submission', async () => {
    const { auth } = await makeSession(t.dataSource, t.http, { role: 'member' });
    expect(JSON.stringify((await t.http.post('/api/v1/plans').set(auth).send({}).expect(400)).body)).toContain('request');
    const badItem = await t.http
      .post('/api/v1/plans')
      .set(auth)
      .send({ profile: 'song-analysis', items: [{ title: 'x', artist: 'y' }] })
      .expect(400);
    expect(JSON.stringify(badItem.body)).toContain('items.0');
    expect(
      JSON.stringify(
        (
          await t.http
            .post('/api/v1/plans')
            .set(auth)
            .send({ profile: 'song-analysis', items: [{}], budgetUsd: -1 })
            .expect(400)
        ).body,
      ),
    ).toContain('budgetUsd');
    const songs = Array.from({ length: 3 }, (_, i) => ({ title: `Plan song ${i}`, artist: 'A', lyrics: `line ${i}` }));
    const plan = (await t.http.post('/api/v1/plans').set(auth).send({ profile: 'song-analysis', items: songs }).expect(201)).body as RequestPlanView;
    expect(plan).toMatchObject({ status: 'proposed', profile: 'song-analysis@1', items: 3, cacheHits: 0, questions: [] });
    expect(plan.steps).toEqual([expect.objectContaining({ step: 'analyze', calls: 3 })]);
    // a sentence about songs cannot carry them: asked for
    const words = (await t.http.post('/api/v1/plans').set(auth).send({ request: 'Analyze the lyrics of my playlist by tomorrow' }).expect(201))
      .body as RequestPlanView;
    expect(words).toMatchObject({ status: 'needs_input', profile: 'song-analysis@1', questions: [expect.objectContaining({ field: 'items' })] });
    expect(words.deadline).toEqual(expect.any(String));
    expect((await t.http.post(`/api/v1/plans/${words.id}/cancel`).set(auth).expect(200)).body.status).toBe('cancelled');
  });
});
