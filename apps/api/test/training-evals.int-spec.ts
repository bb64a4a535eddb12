import { getQueueToken } from '@nestjs/bull';
import { PipelineRunner, ProfilesService, QuotaService } from '@margin/analysis';
import { QUEUES } from '@margin/contracts';
import { Clock } from '@margin/core';
import { LlmExecutor } from '@margin/model-router';
import { EvalRunner, EvalsRepository, ExampleRecorder, SONG_EVAL_ITEMS, SONG_EVAL_SET_ID } from '@margin/training';
import { makeSession, startEmulator, startTestApp, type RunningEmulator, type TestApp } from '@margin/testing';
import type { Queue } from 'bull';
import { createApp } from '../src/create-app';
import { MIGRATIONS } from '../src/migrations';

describe('eval sets and runs', () => {
  let emu: RunningEmulator;
  let t: TestApp;
  let runner: EvalRunner;

  beforeAll(async () => {
    emu = await startEmulator();
    t = await startTestApp((c) => createApp(c), { env: emu.env, migrations: MIGRATIONS });
    // The worker's runner, built from the API's providers: the test runs the queued job itself.
    runner = new EvalRunner(
      t.app.get(EvalsRepository),
      t.app.get(PipelineRunner),
      t.app.get(LlmExecutor),
      t.app.get(ProfilesService),
      t.app.get(QuotaService),
      t.app.get(Clock),
    );
    await t.app.get<Queue>(getQueueToken(QUEUES.maintenance)).pause(true);
  });
  afterAll(async () => {
    await t.close();
    await emu.close();
  });

  it('the built-in 50-song set runs on two models through the executor, scored against the expected reviews, compared side by side', async () => {
    const { tenant, auth } = await makeSession(t.dataSource, t.http, { role: 'member' });
    const sets = await t.http.get('/api/v1/training/evals').set(auth).expect(200);
    expect(sets.body).toContainEqual(expect.objectContaining({ id: SONG_EVAL_SET_ID, profileKey: 'song-analysis', builtIn: true, items: 50 }));
    expect(SONG_EVAL_ITEMS).toHaveLength(50);

    const bad = await t.http.post(`/api/v1/training/evals/${SONG_EVAL_SET_ID}/runs`).set(auth).send({ model: 'nope/none' }).expect(400);
    expect(JSON.stringify(bad.body.message)).toContain('model');
    const missing = await t.http.post(`/api/v1/training/evals/${SONG_EVAL_SET_ID}/runs`).set(auth).send({}).expect(400);
    expect(JSON.stringify(missing.body.message)).toContain('model');

    const runs: string[] = [];
    for (const model of ['ollama/qwen3:8b', 'openai/gpt-4o-mini']) {
      const queued = await t.http.post(`/api/v1/training/evals/${SONG_EVAL_SET_ID}/runs`).set(auth).send({ model }).expect(201);
      expect(queued.body).toMatchObject({ model, status: 'queued', totals: { items: 50, completed: 0 } });
      // Queued for the worker, not run in the request.
      const job = await t.app.get<Queue>(getQueueToken(QUEUES.maintenance)).getJob(`eval-run:${queued.body.id}`);
      expect(job?.data).toEqual({ tenantId: tenant.id, runId: queued.body.id });
      await runner.run(tenant.id, queued.body.id);
      runs.push(queued.body.id);
    }
    await t.app.get(ExampleRecorder).flush();

    const run = await t.http.get(`/api/v1/training/evals/${SONG_EVAL_SET_ID}/runs/${runs[0]}`).set(auth).expect(200);
    expect(run.body.status).toBe('completed');
    expect(run.body.items).toHaveLength(50);
    expect(run.body.totals).toMatchObject({ items: 50, completed: 50, failed: 0 });
    for (const key of ['quality', 'verdictAgreement', 'scoreMae', 'concernF1', 'meanLatencyMs']) expect(typeof run.body.totals[key]).toBe('number');
    expect(run.body.totals.verdictAgreement).toBeGreaterThanOrEqual(0);
    expect(run.body.totals.verdictAgreement).toBeLessThanOrEqual(1);
    expect(run.body.items[0]).toMatchObject({ seq: 0, status: 'completed', scores: { verdictAgreement: expect.any(Number), concernF1: expect.any(Number) } });

    // Every item went through the executor on the asked model: booked in the ledger, but no training example.
    const [ledger] = (await t.dataSource.query(
      `SELECT count(*)::int AS n, count(DISTINCT model_id)::int AS models, min(model_id) AS model FROM llm_calls WHERE tenant_id = $1 AND attempt_id LIKE $2 AND outcome = 'success'`,
      [tenant.id, `eval:${runs[0]}:%`],
    )) as Array<{ n: number; models: number; model: string }>;
    expect(ledger).toEqual({ n: 50, models: 1, model: 'ollama/qwen3:8b' });
    const [examples] = (await t.dataSource.query(`SELECT count(*)::int AS n FROM training_examples WHERE tenant_id = $1`, [tenant.id])) as Array<{ n: number }>;
    expect(examples?.n).toBe(0);
    const paid = await t.http.get(`/api/v1/training/evals/${SONG_EVAL_SET_ID}/runs/${runs[1]}`).set(auth).expect(200);
    expect(paid.body.totals.costUsd).toBeGreaterThan(0);

    const compared = await t.http.get(`/api/v1/training/evals/${SONG_EVAL_SET_ID}/compare?a=${runs[0]}&b=${runs[1]}`).set(auth).expect(200);
    expect(compared.body.runs.map((r: { model: string }) => r.model)).toEqual(['ollama/qwen3:8b', 'openai/gpt-4o-mini']);
    expect(compared.body.items).toHaveLength(50);
    expect(compared.body.items[0]).toMatchObject({ seq: 0, a: { status: 'completed' }, b: { status: 'completed' } });

    // Another tenant sees the built-in set but none of these runs.
    const outsider = await makeSession(t.dataSource, t.http, { role: 'owner' });
    await t.http.get(`/api/v1/training/evals/${SONG_EVAL_SET_ID}/runs/${runs[0]}`).set(outsider.auth).expect(404);
    await t.http.get(`/api/v1/training/evals/${SONG_EVAL_SET_ID}/compare?a=${runs[0]}&b=${runs[1]}`).set(outsider.auth).expect(404);
    expect((await t.http.get(`/api/v1/training/evals/${SONG_EVAL_SET_ID}/runs`).set(outsider.auth).expect(200)).body).toEqual([]);
  });

  it('a tenant’s own set: inputs checked against the profile, items without expected scored by the judge, private to the tenant', async () => {
    const { tenant, auth } = await makeSession(t.dataSource, t.http, { role: 'member' });
    const bad = await t.http
      .post('/api/v1/training/evals')
      .set(auth)
      .send({ name: 'mine', profile: 'song-analysis', items: [{ input: { title: 'x', artist: 'y' } }] })
      .expect(400);
    expect(JSON.stringify(bad.body.message)).toContain('items.0.input.lyrics');
    const badExpected = await t.http
      .post('/api/v1/training/evals')
      .set(auth)
      .send({ name: 'mine', profile: 'song-analysis', items: [{ input: { title: 'x', artist: 'y', lyrics: 'z' }, expected: { verdict: 1 } }] })
      .expect(400);
    expect(JSON.stringify(badExpected.body.message)).toContain('items.0.expected');
    const unknown = await t.http
      .post('/api/v1/training/evals')
      .set(auth)
      .send({ name: 'mine', profile: 'no-such-profile', items: [{ input: {} }] })
      .expect(400);
    expect(JSON.stringify(unknown.body.message)).toContain('profile');

    const created = await t.http
      .post('/api/v1/training/evals')
      .set(auth)
      .send({
        name: 'mine',
        profile: 'song-analysis',
        items: [{ input: { title: 'Hymn', artist: 'Us', lyrics: 'Grace and peace to you\nAll the morning through' } }],
      })
      .expect(201);
    expect(created.body).toMatchObject({ name: 'mine', builtIn: false, items: 1 });
    const queued = await t.http
      .post(`/api/v1/training/evals/${created.body.id}/runs`)
      .set(auth)
      .send({ model: 'ollama/qwen3:8b', judgeModel: 'ollama/llama3.1:8b' })
      .expect(201);
    await runner.run(tenant.id, queued.body.id);
    const run = await t.http.get(`/api/v1/training/evals/${created.body.id}/runs/${queued.body.id}`).set(auth).expect(200);
    expect(run.body.items[0]).toMatchObject({ status: 'completed', error: null, scores: { judged: expect.any(Number) } });
    expect(run.body.items[0].quality).toBe(run.body.items[0].scores.judged);
    const [judge] = (await t.dataSource.query(`SELECT model_id FROM llm_calls WHERE attempt_id LIKE $1`, [`eval:${queued.body.id}:0:judge:%`])) as Array<{
      model_id: string;
    }>;
    expect(judge?.model_id).toBe('ollama/llama3.1:8b');

    const outsider = await makeSession(t.dataSource, t.http, { role: 'owner' });
    await t.http.get(`/api/v1/training/evals/${created.body.id}`).set(outsider.auth).expect(404);
    await t.http.post(`/api/v1/training/evals/${created.body.id}/runs`).set(outsider.auth).send({ model: 'ollama/qwen3:8b' }).expect(404);
    expect((await t.http.get('/api/v1/training/evals').set(outsider.auth).expect(200)).body.map((s: { id: string }) => s.id)).toEqual([SONG_EVAL_SET_ID]);
  });
});
