import { ConflictError, NotFoundError } from '@margin/core';
import type { RoutingPolicyService } from '@margin/model-router';
import { strictMock } from '@margin/testing';
import { BLOG_POST } from './built-in/blog-post';
import type { CreateProfileRequest } from './dto/profile.dto';
import type { ProfileEntity } from './profile.entity';
import type { NewProfileVersion, ProfileRepository } from './profile.repository';
import { InvalidProfileError } from './profile-validation';
import { parseProfileRef, ProfilesService } from './profiles.service';

const OBJ = (props: Record<string, unknown>, required = Object.keys(props)) => ({ type: 'object', properties: props, required, additionalProperties: false });
const STR = { type: 'string' };

const request = (over: Partial<CreateProfileRequest> = {}): CreateProfileRequest => ({
  key: 'ticket-triage',
  name: 'Ticket triage',
  inputSchema: OBJ({ subject: STR, body: STR }),
  steps: [
    {
      name: 'classify',
      operation: 'analyze',
      complexity: 'simple',
      prompt: 'Classify: {{input.subject}}\n{{input.body}}',
      outputSchema: OBJ({ category: STR }),
    },
    {
      name: 'reply',
      operation: 'draft',
      complexity: 'medium',
      system: 'You answer {{steps.classify.category}} tickets.',
      prompt: 'Reply to {{input.body}}',
      outputSchema: OBJ({ reply: STR }),
    },
  ],
  ...over,
});

const row = (over: Partial<ProfileEntity> = {}): ProfileEntity => ({
  id: 'p1',
  tenantId: 't1',
  key: 'ticket-triage',
  version: 1,
  name: 'Ticket triage',
  description: '',
  inputSchema: OBJ({ subject: STR }),
  outputSchema: OBJ({ reply: STR }),
  steps: request().steps,
  qualityGate: null,
  cacheScope: 'tenant',
  createdAt: new Date('2026-01-01T00:00:00Z'),
  ...over,
});

/** Routes exist for every operation except "juggle". */
const policy = () =>
  strictMock<RoutingPolicyService>({
    cell: (_tenantId, operation) => {
      if (operation === 'juggle') throw new Error('No routing policy');
      return { operation, complexity: 'simple', candidates: ['ollama/qwen3:8b'], abTest: null } as unknown as ReturnType<RoutingPolicyService['cell']>;
    },
  });

async function problemsOf(service: ProfilesService, req: CreateProfileRequest): Promise<string[]> {
  const err = await service.create('t1', req).catch((e: unknown) => e);
  if (!(err instanceof InvalidProfileError)) throw new Error(`expected InvalidProfileError, got ${String(err)}`);
  return err.problems;
}

describe('ProfilesService', () => {
  describe('reading', () => {
    it('lists the built-ins first, then the tenant’s own at their latest versions', async () => {
      const repo = strictMock<ProfileRepository>({ listLatest: async () => [row({ version: 3 })] });
      const views = await new ProfilesService(repo, policy()).list('t1');
      expect(views.map((v) => [v.key, v.version, v.builtIn])).toEqual([
        ['song-analysis', 1, true],
        ['blog-post', 1, true],
        ['quality-assessment', 1, true],
        ['ticket-triage', 3, false],
      ]);
      expect(views[1]).toMatchObject({
        cacheScope: 'tenant',
        steps: [{ name: 'research', operation: 'research', complexity: 'simple' }, expect.anything(), expect.anything(), expect.anything(), expect.anything()],
      });
      expect(repo.listLatest).toHaveBeenCalledWith('t1');
    });

    it('resolves built-ins without the database, and only their own version', async () => {
      const service = new ProfilesService(strictMock<ProfileRepository>({}), policy());
      expect(await service.resolve('t1', 'blog-post')).toBe(BLOG_POST);
      expect(await service.resolve('t1', 'blog-post', 1)).toBe(BLOG_POST);
      await expect(service.resolve('t1', 'blog-post', 2)).rejects.toBeInstanceOf(NotFoundError);
    });

    it('looks tenant profiles up within the caller’s tenant only: another tenant’s is not found', async () => {
      const repo = strictMock<ProfileRepository>({ findLatest: async () => null, findVersion: async () => null });
      const service = new ProfilesService(repo, policy());
      await expect(service.resolve('t2', 'ticket-triage')).rejects.toThrow('Profile "ticket-triage" not found');
      await expect(service.resolve('t2', 'ticket-triage', 4)).rejects.toThrow('Profile "ticket-triage" version 4 not found');
      expect(repo.findLatest).toHaveBeenCalledWith('t2', 'ticket-triage');
      expect(repo.findVersion).toHaveBeenCalledWith('t2', 'ticket-triage', 4);
      expect(await service.get('t2', 'ticket-triage')).toBeNull();
    });

    it('maps a row to a definition, and keeps a resolved version (versions never change)', async () => {
      const repo = strictMock<ProfileRepository>({ findVersion: async () => row({ version: 2, qualityGate: null }) });
      const service = new ProfilesService(repo, policy());
      const def = await service.resolve('t1', 'ticket-triage', 2);
      expect(def).toMatchObject({ key: 'ticket-triage', version: 2, builtIn: false, tenantId: 't1', cacheScope: 'tenant', qualityGate: undefined });
      expect(await service.resolve('t1', 'ticket-triage', 2)).toBe(def);
      expect(repo.findVersion).toHaveBeenCalledTimes(1);
    });

    it('parses "key@version" references', () => {
      expect(parseProfileRef('blog-post')).toEqual({ key: 'blog-post' });
      expect(parseProfileRef('blog-post@2')).toEqual({ key: 'blog-post', version: 2 });
    });
  });

  describe('creating', () => {
    it('saves a valid profile as the next version of its key, its output schema defaulting to the last step’s', async () => {
      const repo = strictMock<ProfileRepository>({
        insertNextVersion: async (tenantId: string, data: NewProfileVersion) => row({ ...data, tenantId, version: 2 }),
      });
      const view = await new ProfilesService(repo, policy()).create('t1', request());
      expect(view).toMatchObject({ key: 'ticket-triage', version: 2, builtIn: false, cacheScope: 'tenant', outputSchema: OBJ({ reply: STR }) });
      const [tenantId, data] = repo.insertNextVersion.mock.calls[0] ?? [];
      expect(tenantId).toBe('t1');
      expect(data).toMatchObject({ key: 'ticket-triage', description: '', qualityGate: null, cacheScope: 'tenant' });
    });

    it('refuses a built-in key with 409', async () => {
      const err = await new ProfilesService(strictMock<ProfileRepository>({}), policy())
        .create('t1', request({ key: 'song-analysis' }))
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConflictError);
      expect((err as ConflictError).httpStatus).toBe(409);
    });

    it('names a template that refers to a later step, an unknown input field or an undefined output field', async () => {
      const service = new ProfilesService(strictMock<ProfileRepository>({}), policy());
      const [classify, reply] = request().steps;
      const problems = await problemsOf(
        service,
        request({
          steps: [
            { ...(classify as CreateProfileRequest['steps'][0]), prompt: 'Classify {{input.title}} after {{steps.reply.reply}}' },
            { ...(reply as CreateProfileRequest['steps'][0]), prompt: '{{steps.classify.priority}} {{steps.draft}}' },
          ],
        }),
      );
      expect(problems).toEqual([
        'steps.0.prompt refers to input.title, which is not a property of the inputSchema',
        'steps.0.prompt refers to steps.reply, which is not an earlier step',
        'steps.1.prompt refers to steps.classify.priority, which the outputSchema of step "classify" does not define',
        'steps.1.prompt refers to steps.draft, which is not an earlier step',
      ]);
    });

    it('names duplicate steps, broken schemas, unknown operations and a global cache scope', async () => {
      const service = new ProfilesService(strictMock<ProfileRepository>({}), policy());
      const [classify] = request().steps;
      const problems = await problemsOf(
        service,
        request({
          inputSchema: { type: 'array' },
          outputSchema: { type: 'object', required: 'reply' },
          cacheScope: 'global',
          steps: [
            classify as CreateProfileRequest['steps'][0],
            { name: 'classify', operation: 'juggle', complexity: 'medium', prompt: 'again', outputSchema: { type: 'strin' } },
          ],
        }),
      );
      expect(problems).toEqual([
        'cacheScope "global" is reserved for built-in profiles: a tenant profile is cached for its own tenant',
        'inputSchema must be an object schema with "properties" (templates refer to input.<property>)',
        expect.stringMatching(/^outputSchema is not a valid JSON schema: .*required must be array/),
        'steps.1.name "classify" is already the name of steps.0',
        expect.stringMatching(/^steps.1.outputSchema is not a valid JSON schema: /),
        'steps.0.prompt refers to input.subject, which is not a property of the inputSchema',
        'steps.0.prompt refers to input.body, which is not a property of the inputSchema',
        'steps.1.operation "juggle" has no routing policy at complexity "medium"',
      ]);
    });

    describe('with a quality gate', () => {
      const gated = (over: Partial<CreateProfileRequest> = {}) =>
        request({
          steps: [
            { name: 'write', operation: 'draft', complexity: 'simple', prompt: 'Write about {{input.subject}}', outputSchema: OBJ({ text: STR }) },
            {
              name: 'judge',
              operation: 'assess',
              complexity: 'medium',
              prompt: 'Judge {{steps.write.text}}',
              outputSchema: OBJ({ score: { type: 'integer' }, notes: STR }),
            },
            {
              name: 'polish',
              operation: 'refine',
              complexity: 'simple',
              prompt: 'Improve {{steps.write.text}} per {{steps.judge.notes}}',
              outputSchema: OBJ({ text: STR }),
            },
          ],
          qualityGate: { assessStep: 'judge', refineStep: 'polish', scoreField: 'score', threshold: 7, maxRounds: 2 },
          ...over,
        });

      it('derives the output schema: the content with scores and rounds', async () => {
        const repo = strictMock<ProfileRepository>({ insertNextVersion: async (tenantId: string, data: NewProfileVersion) => row({ ...data, tenantId }) });
        const view = await new ProfilesService(repo, policy()).create('t1', gated());
        expect(view.outputSchema).toMatchObject({
          properties: { text: STR, scores: OBJ({ score: { type: 'integer' }, notes: STR }), rounds: { type: 'integer', minimum: 0, maximum: 2 } },
          required: ['text', 'scores', 'rounds'],
        });
        expect(repo.insertNextVersion.mock.calls[0]?.[1].qualityGate).toEqual({
          assessStep: 'judge',
          refineStep: 'polish',
          scoreField: 'score',
          threshold: 7,
          maxRounds: 2,
        });
      });

      it('checks routes for the refine step’s escalated tiers', async () => {
        const strict = strictMock<RoutingPolicyService>({
          cell: (_t, operation, complexity) => {
            if (operation === 'refine' && complexity === 'complex') throw new Error('none');
            return {} as ReturnType<RoutingPolicyService['cell']>;
          },
        });
        expect(await problemsOf(new ProfilesService(strictMock<ProfileRepository>({}), strict), gated())).toEqual([
          'steps.2.operation "refine" has no routing policy at complexity "complex"',
        ]);
      });

      it('names gate steps that do not exist', async () => {
        const service = new ProfilesService(strictMock<ProfileRepository>({}), policy());
        expect(
          await problemsOf(
            service,
            gated({
              outputSchema: OBJ({ text: STR }),
              qualityGate: { assessStep: 'grade', refineStep: 'polish', scoreField: 'score', threshold: 7, maxRounds: 2 },
            }),
          ),
        ).toEqual(['qualityGate.assessStep "grade" is not a step of this profile']);
      });

      it('names a gate whose parts cannot work: score not a number, refine output unlike the content, refine before assess', async () => {
        const service = new ProfilesService(strictMock<ProfileRepository>({}), policy());
        const base = gated();
        const [write, judge, polish] = base.steps as [CreateProfileRequest['steps'][0], CreateProfileRequest['steps'][0], CreateProfileRequest['steps'][0]];
        expect(
          await problemsOf(service, {
            ...base,
            outputSchema: OBJ({ text: STR }),
            steps: [write, judge, { ...polish, outputSchema: OBJ({ body: STR }) }],
            qualityGate: { assessStep: 'judge', refineStep: 'polish', scoreField: 'notes', threshold: 7, maxRounds: 2 },
          }),
        ).toEqual([
          'qualityGate.scoreField "notes" must be a number or integer property of the outputSchema of step "judge"',
          'qualityGate.refineStep "polish" must have the same outputSchema as step "write", whose output it replaces',
        ]);
        expect(
          await problemsOf(service, {
            ...base,
            outputSchema: OBJ({ text: STR }),
            steps: [write, { ...polish, prompt: 'Improve {{steps.write.text}}' }, judge],
          }),
        ).toEqual([
          'qualityGate.refineStep "polish" must come after the assess step "judge" (it works from the assessment)',
          'qualityGate.assessStep "judge" needs a step before it whose output it assesses',
        ]);
      });
    });
  });
});
