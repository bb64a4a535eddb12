import { picoToDecimal } from '@margin/core';
import { PipelineRunner, ProfilesService, type PipelineContext, type PipelineResult, type ProfileDefinition } from '@margin/analysis';
import { makeSession, makeTenant, startEmulator, startTestApp, type RunningEmulator, type TestApp } from '@margin/testing';
import { randomUUID } from 'node:crypto';
import { createApp } from '../src/create-app';
import { MIGRATIONS } from '../src/migrations';

const SONG = {
  title: 'Amazing Grace',
  artist: 'John Newton',
  lyrics: 'Amazing grace, how sweet the sound\nThat saved a wretch like me\nI once was lost, but now am found\nWas blind, but now I see',
};

/** A tenant profile: write → judge → polish, gated so high that it always refines. */
const TRIAGE = {
  key: 'release-notes',
  name: 'Release notes',
  description: 'Writes release notes from a changelog',
  inputSchema: {
    type: 'object',
    properties: { product: { type: 'string' }, changes: { type: 'array', items: { type: 'string' } } },
    required: ['product', 'changes'],
    additionalProperties: false,
  },
  steps: [
    {
      name: 'write',
      operation: 'draft',
      complexity: 'simple',
      system: 'You write release notes for {{input.product}}.',
      prompt: 'Changes: {{input.changes}}',
      outputSchema: { type: 'object', properties: { notes: { type: 'string', minLength: 1 } }, required: ['notes'], additionalProperties: false },
    },
    {
      name: 'judge',
      operation: 'assess',
      complexity: 'medium',
      prompt: 'Score these notes 0-100: {{steps.write.notes}}',
      outputSchema: {
        type: 'object',
        properties: { score: { type: 'integer', minimum: 0, maximum: 100 }, feedback: { type: 'string' } },
        required: ['score', 'feedback'],
        additionalProperties: false,
      },
    },
    {
      name: 'polish',
      operation: 'refine',
      complexity: 'medium',
      prompt: 'Improve {{steps.write.notes}} per {{steps.judge.feedback}}',
      outputSchema: { type: 'object', properties: { notes: { type: 'string', minLength: 1 } }, required: ['notes'], additionalProperties: false },
    },
  ],
  qualityGate: { assessStep: 'judge', refineStep: 'polish', scoreField: 'score', threshold: 101, maxRounds: 1 },
};

describe('Analysis pipeline against the emulator', () => {
  let emu: RunningEmulator;
  let t: TestApp;
  let runner: PipelineRunner;
  let profiles: ProfilesService;
  let tenantId: string;

  const ctx = (over: Partial<PipelineContext> = {}): PipelineContext => ({ tenantId, attemptKey: `test:${randomUUID()}`, ...over });
  const ledger = async (attemptKey: string) =>
    (await t.dataSource.query(
      `SELECT attempt_id, operation, model_id, outcome, cost_usd, emulated FROM llm_calls WHERE attempt_id LIKE $1 ORDER BY created_at, attempt_id`,
      [`${attemptKey}:%`],
    )) as Array<{
      attempt_id: string;
      operation: string;
      model_id: string;
      outcome: string;
      cost_usd: string;
      emulated: boolean;
    }>;
  const ledgerTotal = async (attemptKey: string) =>
    (
      (await t.dataSource.query(`SELECT COALESCE(SUM(cost_usd), 0)::numeric(20, 12)::text AS total FROM llm_calls WHERE attempt_id LIKE $1`, [
        `${attemptKey}:%`,
      ])) as Array<{ total: string }>
    )[0]?.total;

  beforeAll(async () => {
    emu = await startEmulator();
    t = await startTestApp((c) => createApp(c), { env: emu.env, migrations: MIGRATIONS });
    runner = t.app.get(PipelineRunner);
    profiles = t.app.get(ProfilesService);
    tenantId = (await makeTenant(t.dataSource)).id;
  });
  afterAll(async () => {
    await t.close();
    await emu.close();
  });

  it('song-analysis: one local call, schema-valid review, booked in the ledger at $0', async () => {
    const c = ctx();
    const result = await runner.run(await profiles.resolve(tenantId, 'song-analysis'), SONG, c);
    expect(result).toMatchObject({ model: 'ollama/qwen3:8b', provider: 'ollama', costPico: 0n, quality: null, emulated: true });
    expect(result.output).toEqual({
      summary: expect.any(String),
      themes: expect.any(Array),
      concerns: expect.any(Array),
      score: expect.any(Number),
      verdict: expect.stringMatching(/^(approved|caution|rejected)$/),
    });
    expect(await ledger(c.attemptKey)).toEqual([
      expect.objectContaining({
        attempt_id: `${c.attemptKey}:analyze:0:0`,
        operation: 'analyze',
        model_id: 'ollama/qwen3:8b',
        outcome: 'success',
        emulated: true,
      }),
    ]);
    // A replay of the same delivery books nothing twice.
    await runner.run(await profiles.resolve(tenantId, 'song-analysis'), SONG, c);
    expect(await ledger(c.attemptKey)).toHaveLength(1);
  });

  it('blog-post: every step runs in order, the gate is consistent, and the cost is exactly what the ledger booked', async () => {
    const blog = await profiles.resolve(tenantId, 'blog-post');
    const c = ctx();
    const result: PipelineResult = await runner.run(
      blog,
      { topic: 'Composting in a small flat', audience: 'city renters', keywords: ['compost', 'bokashi'] },
      c,
    );
    const output = result.output as { title: string; slug: string; content: string; scores: { overall: number }; rounds: number };
    expect(output.slug).toMatch(/^[a-z0-9]+(?:-[a-z0-9]+)*$/);
    expect(output.rounds).toBeGreaterThanOrEqual(0);
    expect(output.rounds).toBeLessThanOrEqual(2);
    expect(result.quality).toBe(output.scores.overall);
    const expected = ['research@0', 'outline@0', 'draft@0', 'assess@0'];
    for (let r = 1; r <= output.rounds; r++) expected.push(`refine@${r}`, `assess@${r}`);
    expect(result.steps.map((s) => `${s.name}@${s.round}`)).toEqual(expected);
    if (output.rounds < 2) expect(result.quality).toBeGreaterThanOrEqual(70);
    const rows = await ledger(c.attemptKey);
    expect(rows.filter((r) => r.outcome === 'success')).toHaveLength(expected.length);
    expect(await ledgerTotal(c.attemptKey)).toBe(picoToDecimal(result.costPico));
    expect(result.costPico).toBeGreaterThan(0n); // the draft step's medium cell routes to a paid model first
  });

  it('a failing gate refines one tier up (medium → complex) and assesses the refined version', async () => {
    const blog = await profiles.resolve(tenantId, 'blog-post');
    const strict: ProfileDefinition = {
      ...blog,
      qualityGate: { assessStep: 'assess', refineStep: 'refine', scoreField: 'overall', threshold: 101, maxRounds: 1 },
      outputSchema: {},
    };
    const c = ctx();
    const result = await runner.run(strict, { topic: 'Bees on balconies' }, c);
    expect(result.steps.map((s) => `${s.name}@${s.round}`)).toEqual(['research@0', 'outline@0', 'draft@0', 'assess@0', 'refine@1', 'assess@1']);
    expect(result.steps[4]?.model).toBe('anthropic/claude-sonnet-4-5'); // refine/complex → the premium cell
    expect(result).toMatchObject({ model: 'anthropic/claude-sonnet-4-5', provider: 'anthropic' });
    expect((result.output as { rounds: number }).rounds).toBe(1);
    expect(await ledgerTotal(c.attemptKey)).toBe(picoToDecimal(result.costPico));
    // the scores go onto the judged rows after those are booked: `settled` says when all of it is written
    await result.settled;
    // each assessment's score is on the row of the answer it judged (the draft, then the refinement), the others
    // carry none, and no call gained a row
    const scored = (await t.dataSource.query(
      `SELECT attempt_id, quality::float AS quality FROM llm_calls WHERE attempt_id LIKE $1 AND outcome = 'success' ORDER BY created_at, attempt_id`,
      [`${c.attemptKey}:%`],
    )) as Array<{ attempt_id: string; quality: number | null }>;
    expect(scored).toHaveLength(6);
    const quality = Object.fromEntries(scored.map((r) => [r.attempt_id.slice(c.attemptKey.length + 1).replace(/:\d+$/, ''), r.quality]));
    expect(quality).toEqual({
      'research:0': null,
      'outline:0': null,
      'draft:0': expect.any(Number),
      'assess:0': null,
      'refine:1': (result.output as { scores: { overall: number } }).scores.overall,
      'assess:1': null,
    });
  });

  it('the free plan’s tiers keep every step on local models', async () => {
    const c = ctx({ allowedTiers: ['local'] });
    const result = await runner.run(await profiles.resolve(tenantId, 'blog-post'), { topic: 'Tea' }, c);
    expect(result.steps.every((s) => s.provider === 'ollama')).toBe(true);
    expect(result.costPico).toBe(0n);
  });

  describe('/api/v1/profiles', () => {
    it('lists built-ins to any role; only admins create; versions go up; built-in keys are refused', async () => {
      const admin = await makeSession(t.dataSource, t.http, { role: 'admin' });
      const member = await makeSession(t.dataSource, t.http, { role: 'member', tenant: admin.tenant });
      const viewer = await makeSession(t.dataSource, t.http, { role: 'viewer', tenant: admin.tenant });
      const outsider = await makeSession(t.dataSource, t.http, { role: 'owner' });

      const list = await t.http.get('/api/v1/profiles').set(viewer.auth).expect(200);
      expect(list.body.map((p: { key: string }) => p.key)).toEqual(['song-analysis', 'blog-post', 'quality-assessment']);
      expect(list.body[1]).toMatchObject({
        key: 'blog-post',
        version: 1,
        builtIn: true,
        cacheScope: 'tenant',
        steps: expect.arrayContaining([{ name: 'refine', operation: 'refine', complexity: 'medium' }]),
      });
      await t.http.get('/api/v1/profiles').expect(401);

      await t.http.post('/api/v1/profiles').set(member.auth).send(TRIAGE).expect(403);
      const v1 = await t.http.post('/api/v1/profiles').set(admin.auth).send(TRIAGE).expect(201);
      expect(v1.body).toMatchObject({ key: 'release-notes', version: 1, builtIn: false, cacheScope: 'tenant' });
      expect(v1.body.outputSchema.required).toEqual(['notes', 'scores', 'rounds']);
      const v2 = await t.http
        .post('/api/v1/profiles')
        .set(admin.auth)
        .send({ ...TRIAGE, name: 'Release notes v2' })
        .expect(201);
      expect(v2.body.version).toBe(2);
      const mine = await t.http.get('/api/v1/profiles').set(member.auth).expect(200);
      expect(mine.body.filter((p: { key: string }) => p.key === 'release-notes')).toEqual([expect.objectContaining({ version: 2, name: 'Release notes v2' })]);
      expect((await t.http.get('/api/v1/profiles/release-notes?version=1').set(member.auth).expect(200)).body.name).toBe('Release notes');

      // another tenant sees neither the profile nor that it exists
      const theirs = await t.http.get('/api/v1/profiles').set(outsider.auth).expect(200);
      expect(theirs.body.map((p: { key: string }) => p.key)).not.toContain('release-notes');
      await t.http.get('/api/v1/profiles/release-notes').set(outsider.auth).expect(404);
      await expect(profiles.resolve(outsider.tenant.id, 'release-notes')).rejects.toMatchObject({ httpStatus: 404 });

      const clash = await t.http
        .post('/api/v1/profiles')
        .set(admin.auth)
        .send({ ...TRIAGE, key: 'blog-post' })
        .expect(409);
      expect(clash.body.message).toMatch(/built-in/);
      const bad = await t.http
        .post('/api/v1/profiles')
        .set(admin.auth)
        .send({ ...TRIAGE, steps: [TRIAGE.steps[0], { ...TRIAGE.steps[1], prompt: 'Score {{steps.draft.notes}} for {{input.audience}}' }, TRIAGE.steps[2]] })
        .expect(400);
      expect(bad.body.message).toEqual([
        'steps.1.prompt refers to steps.draft, which is not an earlier step',
        'steps.1.prompt refers to input.audience, which is not a property of the inputSchema',
      ]);
      const badSchema = await t.http
        .post('/api/v1/profiles')
        .set(admin.auth)
        .send({ ...TRIAGE, key: 'x', inputSchema: { type: 'object', properties: { a: { type: 'strin' } } } })
        .expect(400);
      expect(badSchema.body.message[0]).toMatch(/^inputSchema is not a valid JSON schema/);
    });

    it('a pattern that can backtrack for ever (ReDoS) is refused when the profile is saved, in any of its schemas; a safe one runs fast on a hostile input', async () => {
      const admin = await makeSession(t.dataSource, t.http, { role: 'owner' });
      const evil = {
        type: 'object',
        properties: { product: { type: 'string', pattern: '^(a+)+$' }, changes: { type: 'array', items: { type: 'string' } } },
        required: ['product', 'changes'],
      };
      const refused = await t.http
        .post('/api/v1/profiles')
        .set(admin.auth)
        .send({ ...TRIAGE, key: 'redos', inputSchema: evil })
        .expect(400);
      expect(refused.body.message).toEqual([expect.stringMatching(/^inputSchema\.properties\.product\.pattern could take exponential time/)]);
      const inProperties = await t.http
        .post('/api/v1/profiles')
        .set(admin.auth)
        .send({ ...TRIAGE, key: 'redos2', inputSchema: { ...TRIAGE.inputSchema, patternProperties: { '^(x|x)*y$': { type: 'string' } } } })
        .expect(400);
      expect(inProperties.body.message.join(' ')).toMatch(/inputSchema\.patternProperties "\^\(x\|x\)\*y\$" could take/);
      // a safe pattern, fed the input that would take the evil one minutes: answered at once
      const safe = { ...evil, properties: { ...evil.properties, product: { type: 'string', pattern: '^a+$' } } };
      await t.http
        .post('/api/v1/profiles')
        .set(admin.auth)
        .send({ ...TRIAGE, key: 'safe-pattern', inputSchema: safe })
        .expect(201);
      const started = Date.now();
      const est = await t.http
        .post('/api/v1/jobs/estimate')
        .set(admin.auth)
        .send({ profile: 'safe-pattern', items: [{ product: `${'a'.repeat(40)}!`, changes: [] }] });
      expect(est.status).toBe(400);
      expect(Date.now() - started).toBeLessThan(2000);
    });

    it('a tenant profile runs through the same pipeline, its gate included', async () => {
      const admin = await makeSession(t.dataSource, t.http, { role: 'owner' });
      await t.http.post('/api/v1/profiles').set(admin.auth).send(TRIAGE).expect(201);
      const profile = await profiles.resolve(admin.tenant.id, 'release-notes');
      expect(profile).toMatchObject({ version: 1, builtIn: false, tenantId: admin.tenant.id });
      const result = await runner.run(profile, { product: 'Margin', changes: ['Faster caching', 'New admin charts'] }, ctx({ tenantId: admin.tenant.id }));
      expect(result.steps.map((s) => `${s.name}@${s.round}`)).toEqual(['write@0', 'judge@0', 'polish@1', 'judge@1']);
      expect(result.output).toEqual({ notes: expect.any(String), scores: { score: expect.any(Number), feedback: expect.any(String) }, rounds: 1 });
    });
  });
});
