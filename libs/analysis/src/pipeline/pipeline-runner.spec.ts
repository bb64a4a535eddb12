import { type ExecuteInput, type ExecuteOutcome, type LlmExecutor } from '@margin/model-router';
import type { LedgerService } from '@margin/cost-tracking';
import { strictMock } from '@margin/testing';
import { BLOG_POST } from '../profiles/built-in/blog-post';
import { DEFAULT_SONG_RUBRIC, SONG_ANALYSIS } from '../profiles/built-in/song-analysis';
import { PipelineRunner } from './pipeline-runner';
import { PipelineInputError, PipelineOutputError } from './pipeline.errors';
import type { PipelineContext, ProfileDefinition, StepCheckpoint, StepCheckpoints } from './pipeline.types';
import { escalate } from './quality-gate';

type Answer = { json: unknown; model?: string; provider?: string; cost?: bigint; emulated?: boolean; premium?: bigint };

/** The ledger's quality updates, in order: `<attempt id>=<score>`. */
let qualities: string[] = [];
const ledger = strictMock<LedgerService>({
  recordQuality: async (tenantId: string, attemptId: string, score: number) => {
    qualities.push(`${tenantId}/${attemptId}=${score}`);
    return true;
  },
});
beforeEach(() => (qualities = []));

/** An executor that answers each call from `answer` and remembers what it was asked. */
function fakeExecutor(answer: (input: ExecuteInput, callNo: number) => Answer) {
  const calls: ExecuteInput[] = [];
  const executor = strictMock<LlmExecutor>({
    execute: async (input: ExecuteInput): Promise<ExecuteOutcome> => {
      calls.push(input);
      const a = answer(input, calls.length - 1);
      return {
        result: {
          text: JSON.stringify(a.json),
          json: a.json,
          usage: { inputTokens: 10, outputTokens: 10, cachedInputTokens: 0, reasoningTokens: 0 },
          model: a.model ?? 'qwen3:8b',
          latencyMs: 5,
          finishReason: 'stop',
          rateLimit: {},
          emulated: a.emulated ?? false,
        },
        modelId: a.model ?? 'ollama/qwen3:8b',
        providerId: a.provider ?? 'ollama',
        costPico: a.cost ?? 0n,
        fallbackFrom: null,
        attempts: [],
        routingReason: 'test',
        attemptId: `${input.attemptPrefix}:0`,
        premium: a.premium === undefined ? null : { modelId: 'anthropic/claude-sonnet-4-5', costPico: a.premium },
        settled: Promise.resolve(),
      };
    },
  });
  return { executor, calls };
}

const ctx = (over: Partial<PipelineContext> = {}): PipelineContext => ({
  tenantId: 't1',
  userId: 'u1',
  apiKeyId: null,
  jobId: 'j1',
  itemId: 'i1',
  attemptKey: 'item-i1:a1',
  allowedTiers: ['local', 'cheap'],
  ...over,
});

const SONG = { title: 'Amazing Grace', artist: 'John Newton', lyrics: 'Amazing grace, how sweet the sound\nThat saved a wretch like me' };
const REVIEW = { summary: 'A hymn of redemption.', themes: ['grace'], concerns: [], score: 96, verdict: 'approved' };

const POST = (n: number) => ({ title: `Post ${n}`, slug: `post-${n}`, excerpt: `Excerpt ${n}.`, content: `## Version ${n}\n\nBody ${n}.` });
const scores = (overall: number) => ({
  contentQuality: 7,
  seo: 6,
  relevance: 8,
  tone: 7,
  structure: 7,
  originality: 6,
  completeness: 7,
  overall,
  feedback: `feedback at ${overall}`,
});
const RESEARCH = { angle: 'Practical', keyPoints: ['a', 'b', 'c'], readerQuestions: ['why?'] };
const OUTLINE = {
  title: 'Working title',
  sections: [
    { heading: 'One', points: ['p'] },
    { heading: 'Two', points: ['p'] },
    { heading: 'Three', points: ['p'] },
  ],
};

/** Blog-post answers: assessments score from `overall` in turn; the n-th draft/refine writes POST(n). */
function blogAnswers(overall: number[], costs: Partial<Record<string, bigint>> = {}) {
  let assessed = 0;
  let written = 0;
  return (input: ExecuteInput): Answer => {
    const step = input.outputSchema?.name ?? '';
    const cost = costs[step];
    switch (step) {
      case 'research':
        return { json: RESEARCH, cost };
      case 'outline':
        return { json: OUTLINE, cost };
      case 'draft':
      case 'refine':
        return {
          json: POST(written++),
          cost,
          model: step === 'draft' ? 'openai/gpt-4o-mini' : `anthropic/refiner-${input.complexity}`,
          provider: step === 'draft' ? 'openai' : 'anthropic',
        };
      case 'assess':
        return { json: scores(overall[Math.min(assessed++, overall.length - 1)] ?? 0), cost, model: 'anthropic/claude-haiku-4-5', provider: 'anthropic' };
      default:
        throw new Error(`unexpected step ${step}`);
    }
  };
}

const trail = (calls: ExecuteInput[]) => calls.map((c) => `${c.outputSchema?.name}:${c.complexity}:${c.attemptPrefix}`);

describe('PipelineRunner', () => {
  describe('song-analysis', () => {
    it('runs one analyze call with everything the executor needs, and returns its answer', async () => {
      const { executor, calls } = fakeExecutor(() => ({ json: REVIEW, emulated: true }));
      const result = await new PipelineRunner(executor, ledger).run(SONG_ANALYSIS, SONG, ctx({ jobBudgetPico: 5_000n }));
      expect(result).toEqual({
        output: REVIEW,
        costPico: 0n,
        counterfactualPico: 0n,
        savedPico: 0n,
        model: 'ollama/qwen3:8b',
        provider: 'ollama',
        quality: null,
        steps: [{ name: 'analyze', operation: 'analyze', model: 'ollama/qwen3:8b', provider: 'ollama', costPico: 0n, round: 0 }],
        emulated: true,
        settled: expect.any(Promise),
      });
      expect(calls).toHaveLength(1);
      expect(calls[0]).toMatchObject({
        tenantId: 't1',
        userId: 'u1',
        apiKeyId: null,
        jobId: 'j1',
        itemId: 'i1',
        jobBudgetPico: 5_000n,
        operation: 'analyze',
        complexity: 'simple',
        maxTokens: 1024,
        outputSchema: { name: 'analyze', schema: SONG_ANALYSIS.outputSchema },
        attemptPrefix: 'item-i1:a1:analyze:0',
        allowedTiers: ['local', 'cheap'],
        transport: 'stream',
        timeoutMs: 120_000,
        maxWaitMs: 30_000,
      });
      const [system, user] = calls[0]?.messages ?? [];
      expect(system?.role).toBe('system');
      expect(system?.content).toContain(DEFAULT_SONG_RUBRIC);
      expect(system?.content).toContain('Reply with JSON only');
      expect(system?.content).toContain(JSON.stringify(SONG_ANALYSIS.outputSchema));
      expect(user).toEqual({ role: 'user', content: expect.stringContaining('"Amazing Grace" by John Newton') });
      expect(user?.content).toContain('That saved a wretch like me');
    });

    it('judges by the request’s own rubric instead of the default one', async () => {
      const { executor, calls } = fakeExecutor(() => ({ json: REVIEW }));
      await new PipelineRunner(executor, ledger).run(SONG_ANALYSIS, { ...SONG, rubric: 'Is it suitable for a jazz brunch?' }, ctx());
      const system = calls[0]?.messages[0]?.content ?? '';
      expect(system).toContain('Is it suitable for a jazz brunch?');
      expect(system).not.toContain(DEFAULT_SONG_RUBRIC);
    });

    it('refuses an input that does not match the profile before any call', async () => {
      const { executor, calls } = fakeExecutor(() => ({ json: REVIEW }));
      const err = await new PipelineRunner(executor, ledger).run(SONG_ANALYSIS, { title: 'x', lyrics: 7 }, ctx()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PipelineInputError);
      expect((err as PipelineInputError).problems).toEqual(['artist is required', 'lyrics must be a string']);
      expect(calls).toHaveLength(0);
    });

    it('throws PipelineOutputError when the result does not match the profile’s outputSchema', async () => {
      const { executor } = fakeExecutor(() => ({ json: { ...REVIEW, verdict: 'maybe' } }));
      const err = await new PipelineRunner(executor, ledger).run(SONG_ANALYSIS, SONG, ctx()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PipelineOutputError);
      expect((err as PipelineOutputError).httpStatus).toBe(422);
      expect((err as Error).message).toMatch(/verdict must be one of "approved", "caution", "rejected"/);
    });

    it('does not start when the item was cancelled', async () => {
      const { executor, calls } = fakeExecutor(() => ({ json: REVIEW }));
      const abort = new AbortController();
      abort.abort();
      await expect(new PipelineRunner(executor, ledger).run(SONG_ANALYSIS, SONG, ctx({ signal: abort.signal }))).rejects.toThrow();
      expect(calls).toHaveLength(0);
    });
  });

  describe('blog-post and its quality gate', () => {
    const input = { topic: 'Composting in small flats', audience: 'city renters', keywords: ['compost', 'bokashi'] };

    it('skips refine when the first assessment meets the threshold; the output is the draft with its scores', async () => {
      const { executor, calls } = fakeExecutor(blogAnswers([70]));
      const result = await new PipelineRunner(executor, ledger).run(BLOG_POST, input, ctx());
      expect(trail(calls)).toEqual([
        'research:simple:item-i1:a1:research:0',
        'outline:simple:item-i1:a1:outline:0',
        'draft:medium:item-i1:a1:draft:0',
        'assess:medium:item-i1:a1:assess:0',
      ]);
      expect(result.output).toEqual({ ...POST(0), scores: scores(70), rounds: 0 });
      expect(result.quality).toBe(70);
      expect(result).toMatchObject({ model: 'openai/gpt-4o-mini', provider: 'openai' });
      // later steps see the earlier ones
      expect(calls[1]?.messages[1]?.content).toContain('Key points: ["a","b","c"]');
      expect(calls[2]?.messages[1]?.content).toContain('Outline: [{"heading":"One"');
      expect(calls[2]?.messages[0]?.content).toContain('for city renters');
      expect(calls[3]?.messages[1]?.content).toContain('## Version 0');
    });

    it('below the threshold refines one tier up, then assesses the refined version again', async () => {
      const { executor, calls } = fakeExecutor(blogAnswers([55, 82]));
      const result = await new PipelineRunner(executor, ledger).run(BLOG_POST, input, ctx());
      expect(trail(calls).slice(3)).toEqual(['assess:medium:item-i1:a1:assess:0', 'refine:complex:item-i1:a1:refine:1', 'assess:medium:item-i1:a1:assess:1']);
      const refine = calls[4]?.messages[1]?.content ?? '';
      expect(refine).toContain('feedback at 55');
      expect(refine).toContain('## Version 0');
      expect(calls[5]?.messages[1]?.content).toContain('## Version 1');
      expect(calls[5]?.messages[1]?.content).not.toContain('## Version 0');
      expect(result.output).toEqual({ ...POST(1), scores: scores(82), rounds: 1 });
      expect(result.quality).toBe(82);
      expect(result).toMatchObject({ model: 'anthropic/refiner-complex', provider: 'anthropic' });
      expect(result.steps.map((s) => `${s.name}@${s.round}`)).toEqual(['research@0', 'outline@0', 'draft@0', 'assess@0', 'refine@1', 'assess@1']);
    });

    it('stops after maxRounds even when the score stays low, keeping the latest version', async () => {
      const { executor, calls } = fakeExecutor(blogAnswers([40]));
      const result = await new PipelineRunner(executor, ledger).run(BLOG_POST, input, ctx());
      expect(trail(calls).slice(3)).toEqual([
        'assess:medium:item-i1:a1:assess:0',
        'refine:complex:item-i1:a1:refine:1',
        'assess:medium:item-i1:a1:assess:1',
        'refine:complex:item-i1:a1:refine:2',
        'assess:medium:item-i1:a1:assess:2',
      ]);
      expect(calls[6]?.messages[1]?.content).toContain('## Version 1');
      expect(result.output).toEqual({ ...POST(2), scores: scores(40), rounds: 2 });
      expect(result.quality).toBe(40);
    });

    it('escalates a simple refine step to medium, then complex', async () => {
      const profile: ProfileDefinition = {
        ...BLOG_POST,
        steps: BLOG_POST.steps.map((s) => (s.name === 'refine' ? { ...s, complexity: 'simple' as const } : s)),
      };
      const { executor, calls } = fakeExecutor(blogAnswers([10]));
      await new PipelineRunner(executor, ledger).run(profile, input, ctx());
      expect(calls.filter((c) => c.operation === 'refine').map((c) => c.complexity)).toEqual(['medium', 'complex']);
      expect([escalate('simple', 1), escalate('simple', 2), escalate('medium', 1), escalate('complex', 3)]).toEqual([
        'medium',
        'complex',
        'complex',
        'complex',
      ]);
    });

    it('sums the cost of every call exactly and gives each call the job’s whole budget (the budget service counts what was spent)', async () => {
      const big = 123_456_789_012_345_678n;
      const { executor, calls } = fakeExecutor(blogAnswers([50, 90], { research: 1n, outline: 10n, draft: big, assess: 1_000_000n, refine: 7n }));
      const result = await new PipelineRunner(executor, ledger).run(BLOG_POST, input, ctx({ jobBudgetPico: big + 1_000_000n }));
      expect(result.costPico).toBe(1n + 10n + big + 1_000_000n + 7n + 1_000_000n);
      expect(result.steps.reduce((sum, s) => sum + s.costPico, 0n)).toBe(result.costPico);
      expect(calls.map((c) => c.jobBudgetPico)).toEqual(Array(6).fill(big + 1_000_000n));
    });

    it('records each assessment on the ledger row of the answer it judged (the draft, then each refinement), once booked', async () => {
      const { executor } = fakeExecutor(blogAnswers([40, 55, 91]));
      const result = await new PipelineRunner(executor, ledger).run(BLOG_POST, input, ctx());
      await result.settled;
      expect(qualities).toEqual(['t1/item-i1:a1:draft:0:0=40', 't1/item-i1:a1:refine:1:0=55', 't1/item-i1:a1:refine:2:0=91']);
    });

    it('records no quality for a profile without a quality gate', async () => {
      const { executor } = fakeExecutor(() => ({ json: REVIEW }));
      await (
        await new PipelineRunner(executor, ledger).run(SONG_ANALYSIS, SONG, ctx())
      ).settled;
      expect(qualities).toEqual([]);
    });

    it('waits for the judged call to be booked before scoring it, and a score that cannot be written does not fail the run', async () => {
      let book!: () => void;
      const booked = new Promise<void>((r) => (book = r));
      const { executor } = fakeExecutor(blogAnswers([90]));
      const slowBooking = strictMock<LlmExecutor>({
        execute: async (i: ExecuteInput) => {
          const outcome = await executor.execute(i);
          return i.outputSchema?.name === 'draft' ? { ...outcome, settled: booked } : outcome;
        },
      });
      const result = await new PipelineRunner(slowBooking, ledger).run(BLOG_POST, input, ctx());
      await new Promise((r) => setImmediate(r));
      expect(qualities).toEqual([]);
      book();
      await result.settled;
      expect(qualities).toEqual(['t1/item-i1:a1:draft:0:0=90']);

      const failing = strictMock<LedgerService>({ recordQuality: async () => Promise.reject(new Error('db down')) });
      const again = fakeExecutor(blogAnswers([90]));
      await expect((await new PipelineRunner(again.executor, failing).run(BLOG_POST, input, ctx())).settled).resolves.toBeUndefined();
    });

    it('sums the counterfactual of every call (its premium cost, never below its own) and what routing saved, exactly', async () => {
      const { executor } = fakeExecutor((i) => {
        const a = blogAnswers([90], { research: 0n, outline: 0n, draft: 700n, assess: 50n })(i);
        // research and outline ran locally (premium 1000 each), the draft cost more than the premium would have, assess has none
        const premium: Record<string, bigint | undefined> = { research: 1_000n, outline: 1_000n, draft: 600n };
        const p = premium[i.outputSchema?.name ?? ''];
        return p === undefined ? a : { ...a, premium: p };
      });
      const result = await new PipelineRunner(executor, ledger).run(BLOG_POST, input, ctx());
      expect(result.costPico).toBe(750n);
      expect(result.counterfactualPico).toBe(1_000n + 1_000n + 700n + 50n);
      expect(result.savedPico).toBe(2_000n);
    });

    it('resumes at the step that failed: answered steps are reused from the checkpoints, paid once, and saved only once booked', async () => {
      const store = new Map<string, StepCheckpoint>();
      const saved: string[] = [];
      const checkpoints: StepCheckpoints = {
        load: async () => new Map(store),
        save: async (step, cp) => {
          saved.push(step);
          store.set(step, cp);
        },
      };
      // first attempt: the provider goes away at the draft
      const answers = blogAnswers([90], { research: 3n, outline: 4n, draft: 5n, assess: 6n });
      const down = fakeExecutor((input) => {
        if (input.outputSchema?.name === 'draft') throw new Error('provider unreachable');
        return answers(input);
      });
      await expect(new PipelineRunner(down.executor, ledger).run(BLOG_POST, input, ctx({ checkpoints }))).rejects.toThrow('provider unreachable');
      await new Promise((r) => setImmediate(r));
      expect(saved).toEqual(['research:0', 'outline:0']);

      // second attempt: only draft and assess are called; the item's cost still covers every step once
      const { executor, calls } = fakeExecutor(answers);
      const result = await new PipelineRunner(executor, ledger).run(BLOG_POST, input, ctx({ checkpoints, attemptKey: 'item-i1:a2' }));
      expect(trail(calls)).toEqual(['draft:medium:item-i1:a2:draft:0', 'assess:medium:item-i1:a2:assess:0']);
      expect(calls[0]?.messages[1]?.content).toContain('Outline: [{"heading":"One"');
      expect(result.costPico).toBe(3n + 4n + 5n + 6n);
      expect(result.steps.map((s) => s.name)).toEqual(['research', 'outline', 'draft', 'assess']);
      await result.settled;
      expect(saved).toEqual(['research:0', 'outline:0', 'draft:0', 'assess:0']);
    });

    it('keeps nothing for a call that was not booked', async () => {
      const saved: string[] = [];
      const checkpoints: StepCheckpoints = { load: async () => new Map(), save: async (step) => void saved.push(step) };
      const { executor } = fakeExecutor(blogAnswers([90]));
      const unbooked = strictMock<LlmExecutor>({
        execute: async (i: ExecuteInput) => {
          const outcome = await executor.execute(i);
          return { ...outcome, settled: Promise.reject(new Error('ledger down')) };
        },
      });
      const result = await new PipelineRunner(unbooked, ledger).run(BLOG_POST, input, ctx({ checkpoints }));
      await expect(result.settled).rejects.toThrow('ledger down');
      expect(saved).toEqual([]);
    });

    it('passes no job budget when the job has none', async () => {
      const { executor, calls } = fakeExecutor(blogAnswers([90], { draft: 5n }));
      await new PipelineRunner(executor, ledger).run(BLOG_POST, input, ctx({ jobBudgetPico: null }));
      expect(calls.every((c) => c.jobBudgetPico === null)).toBe(true);
    });

    it('derives the same attempt ids on a replay, so the ledger books nothing twice', async () => {
      const first = fakeExecutor(blogAnswers([40]));
      const again = fakeExecutor(blogAnswers([40]));
      await new PipelineRunner(first.executor, ledger).run(BLOG_POST, input, ctx());
      await new PipelineRunner(again.executor, ledger).run(BLOG_POST, input, ctx());
      const prefixes = first.calls.map((c) => c.attemptPrefix);
      expect(again.calls.map((c) => c.attemptPrefix)).toEqual(prefixes);
      expect(new Set(prefixes).size).toBe(prefixes.length);
    });

    it('is emulated when any step was', async () => {
      const { executor } = fakeExecutor((i, n) => ({ ...blogAnswers([90])(i), emulated: n === 2 }));
      expect((await new PipelineRunner(executor, ledger).run(BLOG_POST, input, ctx())).emulated).toBe(true);
    });

    it('fails clearly when the assessment has no score', async () => {
      const profile: ProfileDefinition = {
        ...BLOG_POST,
        qualityGate: { ...(BLOG_POST.qualityGate as NonNullable<ProfileDefinition['qualityGate']>), scoreField: 'missing' },
      };
      const { executor } = fakeExecutor(blogAnswers([90]));
      await expect(new PipelineRunner(executor, ledger).run(profile, input, ctx())).rejects.toThrow(/the assessment has no numeric "missing"/);
    });
  });

  it('lets the executor step down tiers from each step’s complexity (the refine step’s escalated one), with one attempt prefix per step and round', async () => {
    const { executor, calls } = fakeExecutor(blogAnswers([40]));
    await new PipelineRunner(executor, ledger).run(BLOG_POST, { topic: 'Tea' }, ctx());
    expect(calls.every((c) => c.stepDown === true)).toBe(true);
    expect(trail(calls)).toEqual([
      'research:simple:item-i1:a1:research:0',
      'outline:simple:item-i1:a1:outline:0',
      'draft:medium:item-i1:a1:draft:0',
      'assess:medium:item-i1:a1:assess:0',
      'refine:complex:item-i1:a1:refine:1',
      'assess:medium:item-i1:a1:assess:1',
      'refine:complex:item-i1:a1:refine:2',
      'assess:medium:item-i1:a1:assess:2',
    ]);
  });

  it('passes an executor error through untouched', async () => {
    const boom = new Error('no candidate');
    const executor = strictMock<LlmExecutor>({ execute: async () => Promise.reject(boom) });
    await expect(new PipelineRunner(executor, ledger).run(SONG_ANALYSIS, SONG, ctx())).rejects.toBe(boom);
  });

  it('returns the last step’s output for a profile without a gate, and each step’s max tokens', async () => {
    const profile: ProfileDefinition = {
      ...SONG_ANALYSIS,
      key: 'two-steps',
      cacheScope: 'tenant',
      builtIn: false,
      tenantId: 't1',
      outputSchema: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] },
      steps: [
        {
          name: 'first',
          operation: 'analyze',
          complexity: 'simple',
          prompt: 'Count {{input.lyrics}}',
          outputSchema: { type: 'object', properties: { n: { type: 'integer' } } },
        },
        {
          name: 'second',
          operation: 'analyze',
          complexity: 'complex',
          maxTokens: 64,
          prompt: 'Double {{steps.first.n}}',
          outputSchema: { type: 'object', properties: { n: { type: 'integer' } } },
        },
      ],
    };
    const { executor, calls } = fakeExecutor((i) =>
      i.outputSchema?.name === 'first' ? { json: { n: 2 } } : { json: { n: 4 }, model: 'anthropic/claude-sonnet-4-5', provider: 'anthropic' },
    );
    const result = await new PipelineRunner(executor, ledger).run(profile, SONG, ctx());
    expect(result).toMatchObject({ output: { n: 4 }, model: 'anthropic/claude-sonnet-4-5', provider: 'anthropic', quality: null });
    expect(calls.map((c) => [c.maxTokens, c.messages[1]?.content])).toEqual([
      [1024, `Count ${SONG.lyrics}`],
      [64, 'Double 2'],
    ]);
    expect(calls[0]?.messages[0]?.content.startsWith('Reply with JSON only')).toBe(true);
  });
});
