import { Injectable, Optional } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { ApprovePlanResponse, PlanAccuracyView, PlanIntake, PlanQuestion, RequestPlanView } from '@margin/contracts';
import { Clock, DomainError, NotFoundError, picoToDecimal, picoToUsd, usdToPico } from '@margin/core';
import type { Principal } from '@margin/identity';
import { CatalogService } from '@margin/model-router';
import { randomUUID } from 'node:crypto';
import { checkSubmitFields } from '../jobs/jobs.dto';
import { EndpointDirectory, PUBLISHABLE_PROFILE } from '../jobs/job-hooks';
import { SubmissionReader } from '../jobs/usecases/submission-reader';
import { SubmitJob } from '../jobs/usecases/submit-job';
import { formEvents } from '../jobs/usecases/submission';
import type { ProfileDefinition } from '../pipeline/pipeline.types';
import { parseProfileRef, ProfilesService } from '../profiles/profiles.service';
import { QuotaService } from '../quotas/quota.service';
import { IntakeService } from './intake.service';
import { matchMentions, type EndpointChoice } from './intake-rules';
import { PlanEstimator, SAMPLE_ITEMS } from './plan-estimator';
import { toPlanView, type MentionState, type PlanEstimateRecord } from './request-plan';
import { RequestPlansRepository, type PlanWrite, type RequestPlanRow } from './request-plans.repository';

/** The most items a plan may carry (a bigger batch is submitted as a job: its estimate is POST /jobs/estimate). */
export const MAX_PLAN_ITEMS = 5_000;

export interface CreatePlanInput {
  request?: string;
  profile?: string;
  items?: Array<Record<string, unknown>>;
  brief?: { topic: string; audience?: string; tone?: string; keywords?: string[] };
  budgetUsd?: number;
  deadline?: string;
  endpointIds?: string[];
}

export interface PatchPlanInput {
  budgetUsd?: number | null;
  deadline?: string | null;
  steps?: Array<{ step: string; model: string | null }>;
  answers?: Record<string, string>;
}

export class PlanNotApprovableError extends DomainError {
  readonly httpStatus = 409;
  constructor(
    readonly code: 'plan_needs_input' | 'plan_over_budget' | 'plan_not_open',
    message: string,
  ) {
    super(message);
  }
}

export class InvalidPlanError extends DomainError {
  readonly code = 'invalid_plan';
  readonly httpStatus = 400;
}

/** What a plan is made of before its questions and estimate are worked out. */
interface Draft {
  sentence: string | null;
  intake: PlanIntake;
  profile: ProfileDefinition | null;
  /** Items given (structured requests); a sentence's blog post gets its one item from the intake. */
  givenItems: Array<Record<string, unknown>> | null;
  stepModels: Record<string, string>;
  endpointIds: string[];
  mentions: MentionState[];
  budgetUsd: number | null;
  deadline: Date | null;
}

const emptyIntake = (): PlanIntake => ({
  profile: null,
  topic: null,
  audience: null,
  tone: null,
  keywords: [],
  budgetUsd: null,
  deadline: null,
  endpointMentions: [],
});

/**
 * Plans: a request (a sentence, or structured) becomes the steps, models, cost and time it would take, with
 * questions for what it cannot decide; edited and re-estimated; approved, it runs as a job (published where it
 * said) and, once that finishes, keeps what it really cost and took.
 */
@Injectable()
export class RequestPlansService {
  constructor(
    private readonly repo: RequestPlansRepository,
    private readonly intake: IntakeService,
    private readonly estimator: PlanEstimator,
    private readonly reader: SubmissionReader,
    private readonly submit: SubmitJob,
    private readonly profiles: ProfilesService,
    private readonly quotas: QuotaService,
    private readonly catalog: CatalogService,
    private readonly clock: Clock,
    @Optional() private readonly moduleRef?: ModuleRef,
  ) {}

  private async endpoints(tenantId: string): Promise<EndpointChoice[]> {
    let directory: EndpointDirectory | undefined;
    try {
      directory = this.moduleRef?.get(EndpointDirectory, { strict: false });
    } catch {
      directory = undefined;
    }
    return directory ? (await directory.list(tenantId)).map((e) => ({ id: e.id, name: e.name, type: e.type, enabled: e.enabled })) : [];
  }

  async create(principal: Principal, input: CreatePlanInput): Promise<RequestPlanView> {
    const tenantId = principal.tenantId;
    const id = randomUUID();
    const endpoints = await this.endpoints(tenantId);
    let draft: Draft;
    if (input.request !== undefined) {
      const limits = await this.quotas.limitsFor(tenantId);
      const read = await this.intake.read(
        { tenantId, userId: principal.userId, apiKeyId: principal.apiKeyId, planId: id, allowedTiers: limits.allowedTiers },
        input.request,
        endpoints.map((e) => e.name),
      );
      const matched = matchMentions(read.intake.endpointMentions, endpoints);
      draft = {
        sentence: input.request,
        intake: read.intake,
        profile: read.intake.profile ? await this.profiles.resolve(tenantId, read.intake.profile) : null,
        givenItems: null,
        stepModels: {},
        endpointIds: [],
        mentions: matched.map((m) =>
          'endpoint' in m
            ? { mention: m.mention, choice: m.endpoint.id, candidates: [m.endpoint] }
            : { mention: m.mention, choice: null, candidates: m.candidates },
        ),
        budgetUsd: input.budgetUsd ?? read.intake.budgetUsd,
        deadline: input.deadline ? new Date(input.deadline) : read.intake.deadline ? new Date(read.intake.deadline) : null,
      };
    } else {
      const ref = parseProfileRef(input.profile ?? '');
      const profile = await this.profiles.resolve(tenantId, ref.key, ref.version);
      const ids = input.endpointIds ?? [];
      const unknown = ids.filter((e) => !endpoints.some((x) => x.id === e && x.enabled));
      if (unknown.length) throw new InvalidPlanError(`endpointIds: ${unknown.join(', ')} is not an enabled endpoint of this tenant`);
      const brief = input.brief;
      draft = {
        sentence: null,
        intake: {
          ...emptyIntake(),
          profile: profile.key,
          topic: brief?.topic ?? null,
          audience: brief?.audience ?? null,
          tone: brief?.tone ?? null,
          keywords: brief?.keywords ?? [],
          budgetUsd: input.budgetUsd ?? null,
          deadline: input.deadline ?? null,
        },
        profile,
        givenItems: input.items ?? null,
        stepModels: {},
        endpointIds: ids,
        mentions: [],
        budgetUsd: input.budgetUsd ?? null,
        deadline: input.deadline ? new Date(input.deadline) : null,
      };
    }
    const write = await this.build(principal, draft, endpoints);
    return toPlanView(
      await this.repo.insert(tenantId, id, { ...write, sentence: draft.sentence, createdByUserId: principal.userId, createdByApiKeyId: principal.apiKeyId }),
    );
  }

  async get(principal: Principal, id: string): Promise<RequestPlanView> {
    return toPlanView(await this.row(principal.tenantId, id));
  }

  async list(principal: Principal, limit: number): Promise<RequestPlanView[]> {
    return (await this.repo.list(principal.tenantId, limit)).map(toPlanView);
  }

  accuracy(principal: Principal): Promise<PlanAccuracyView> {
    return this.repo.accuracy(principal.tenantId);
  }

  async patch(principal: Principal, id: string, input: PatchPlanInput): Promise<RequestPlanView> {
    const tenantId = principal.tenantId;
    const row = await this.row(tenantId, id);
    if (row.status !== 'proposed' && row.status !== 'needs_input')
      throw new PlanNotApprovableError('plan_not_open', `the plan is ${row.status}: it can no longer change`);
    const draft = await this.draftOf(tenantId, row);
    const endpoints = await this.endpoints(tenantId);
    if (input.budgetUsd !== undefined) {
      draft.budgetUsd = input.budgetUsd;
      draft.intake = { ...draft.intake, budgetUsd: input.budgetUsd };
    }
    if (input.deadline !== undefined) draft.deadline = input.deadline === null ? null : new Date(input.deadline);
    for (const [field, value] of Object.entries(input.answers ?? {})) await this.answer(tenantId, draft, field, value, endpoints);
    for (const [i, s] of (input.steps ?? []).entries()) {
      if (!draft.profile) throw new InvalidPlanError(`steps.${i}: the plan has no profile yet`);
      if (!draft.profile.steps.some((p) => p.name === s.step)) throw new InvalidPlanError(`steps.${i}.step: ${draft.profile.key} has no step "${s.step}"`);
      if (s.model === null) delete draft.stepModels[s.step];
      else {
        if (!this.catalog.model(s.model)) throw new InvalidPlanError(`steps.${i}.model: no model "${s.model}" in the catalog`);
        draft.stepModels[s.step] = s.model;
      }
    }
    const updated = await this.repo.update(tenantId, id, await this.build(principal, draft, endpoints));
    if (!updated) throw new PlanNotApprovableError('plan_not_open', 'the plan changed meanwhile (approved or cancelled)');
    return toPlanView(updated);
  }

  async cancel(principal: Principal, id: string): Promise<RequestPlanView> {
    const row = await this.row(principal.tenantId, id);
    if (!(await this.repo.cancel(principal.tenantId, id)))
      throw new PlanNotApprovableError('plan_not_open', `the plan is ${row.status}: it cannot be cancelled`);
    return this.get(principal, id);
  }

  /** Runs the plan as a job, once: a repeated approval answers the same job. */
  async approve(principal: Principal, id: string): Promise<ApprovePlanResponse> {
    const tenantId = principal.tenantId;
    const row = await this.row(tenantId, id);
    if (row.status === 'needs_input')
      throw new PlanNotApprovableError(
        'plan_needs_input',
        `the plan has open questions: ${row.questions.map((q) => q.field).join(', ')} (answer them with PATCH)`,
      );
    const cheapest = row.estimate.cheapest;
    if (row.status === 'proposed' && !row.estimate.fitsBudget)
      throw new PlanNotApprovableError(
        'plan_over_budget',
        cheapest
          ? `the plan's expected cost $${Number(row.costUsd).toFixed(6)} is over its budget $${row.budgetUsd}; the cheapest plan that fits costs $${cheapest.costUsd.toFixed(6)} (${cheapest.steps.map((s) => `${s.step}: ${s.model}`).join(', ')}): PATCH its steps, or raise the budget`
          : `the plan's expected cost $${Number(row.costUsd).toFixed(6)} is over its budget $${row.budgetUsd}, and no choice of models fits it: raise the budget`,
      );
    if (row.status !== 'proposed' && row.status !== 'approved' && !row.jobId) throw new PlanNotApprovableError('plan_not_open', `the plan is ${row.status}`);
    if (row.status === 'proposed' && !(await this.repo.markApproved(tenantId, id, this.clock.now()))) {
      // another request changed it meanwhile: approved (then the same key below answers the same job) or cancelled
      const now = await this.row(tenantId, id);
      if (now.status !== 'approved') throw new PlanNotApprovableError('plan_not_open', `the plan is ${now.status}`);
    }
    const profile = `${row.profileKey}@${row.profileVersion}`;
    const fields: Record<string, unknown> = {
      profile,
      name: `Plan: ${row.intake.topic ?? row.sentence?.slice(0, 80) ?? profile}`.slice(0, 200),
      priority: 'medium',
      metadata: { planId: id },
      ...(row.budgetUsd !== null ? { budgetUsd: Number(row.budgetUsd) } : {}),
      ...(row.endpointIds.length ? { publish: { endpointIds: row.endpointIds } } : {}),
    };
    let submitted;
    try {
      // the plan's id as the Idempotency-Key: a retried or concurrent approval gets the same job, never a second
      submitted = await this.submit.execute(principal, { events: formEvents(fields, row.items), checkFields: checkSubmitFields }, `plan:${id}`, {
        stepModels: row.stepModels,
      });
    } catch (err) {
      await this.repo.reopen(tenantId, id);
      throw err;
    }
    await this.repo.attachJob(tenantId, id, submitted.response.id);
    return { plan: await this.get(principal, id), job: submitted.response };
  }

  private async row(tenantId: string, id: string): Promise<RequestPlanRow> {
    const row = await this.repo.find(tenantId, id);
    if (!row) throw new NotFoundError('Plan');
    return row;
  }

  private async draftOf(tenantId: string, row: RequestPlanRow): Promise<Draft> {
    return {
      sentence: row.sentence,
      intake: row.intake,
      profile: row.profileKey ? await this.profiles.resolve(tenantId, row.profileKey, row.profileVersion ?? undefined) : null,
      givenItems: row.sentence === null ? row.items : null,
      stepModels: { ...row.stepModels },
      endpointIds: row.sentence === null ? row.endpointIds : [],
      mentions: row.estimate.mentions,
      budgetUsd: row.budgetUsd === null ? null : Number(row.budgetUsd),
      deadline: row.deadline,
    };
  }

  private async answer(tenantId: string, draft: Draft, field: string, value: string, endpoints: readonly EndpointChoice[]): Promise<void> {
    const text = value.trim();
    if (field === 'profile') {
      const ref = parseProfileRef(text);
      draft.profile = await this.profiles.resolve(tenantId, ref.key, ref.version);
      draft.intake = { ...draft.intake, profile: draft.profile.key };
    } else if (field === 'topic' || field === 'audience' || field === 'tone') {
      if (!text || text.length > 500) throw new InvalidPlanError(`answers.${field} must be 1 to 500 characters`);
      draft.intake = { ...draft.intake, [field]: text };
    } else if (field.startsWith('endpoint:')) {
      const m = draft.mentions.find((x) => `endpoint:${x.mention}` === field);
      if (!m) throw new InvalidPlanError(`answers.${field}: the request named no such target`);
      if (text !== 'none' && !endpoints.some((e) => e.id === text && e.enabled))
        throw new InvalidPlanError(`answers.${field} must be an enabled endpoint's id or "none"`);
      m.choice = text;
    } else if (field === 'endpoints') {
      if (text !== 'none') throw new InvalidPlanError('answers.endpoints: only "none" (publish nothing)');
      draft.endpointIds = [];
      for (const m of draft.mentions) m.choice = 'none';
    } else if (field === 'deadline') {
      if (text !== 'none') throw new InvalidPlanError('answers.deadline: only "none"; set a new deadline with PATCH {deadline}');
      draft.deadline = null;
    } else throw new InvalidPlanError(`answers.${field}: not a question of this plan`);
  }

  /** The plan's questions, items and estimate from its draft. */
  /** `all`: the tenant's endpoints (read once per request). */
  private async build(principal: Principal, d: Draft, all: readonly EndpointChoice[]): Promise<PlanWrite> {
    const tenantId = principal.tenantId;
    const questions: PlanQuestion[] = [];
    const profile = d.profile;
    if (!profile) {
      const known = await this.profiles.list(tenantId);
      questions.push({
        field: 'profile',
        question: 'What should be made: which profile runs this request?',
        options: known.map((p) => ({ value: p.key, label: p.name })),
      });
    }
    let items: Array<Record<string, unknown>> = [];
    if (d.givenItems) items = d.givenItems;
    else if (profile?.key === PUBLISHABLE_PROFILE) {
      if (d.intake.topic) {
        items = [
          {
            topic: d.intake.topic,
            ...(d.intake.audience ? { audience: d.intake.audience } : {}),
            ...(d.intake.tone ? { tone: d.intake.tone } : {}),
            ...(d.intake.keywords.length ? { keywords: d.intake.keywords } : {}),
          },
        ];
      } else questions.push({ field: 'topic', question: 'What should the post be about?' });
    } else if (profile) {
      questions.push({
        field: 'items',
        question: `Which items should ${profile.key} run on? A sentence cannot carry them: create the plan with {profile, items}.`,
      });
    }
    if (items.length > MAX_PLAN_ITEMS) throw new InvalidPlanError(`items: at most ${MAX_PLAN_ITEMS} in a plan (submit a bigger batch as a job)`);
    for (const m of d.mentions) {
      if (m.choice !== null) continue;
      questions.push({
        field: `endpoint:${m.mention}`,
        question: m.candidates.length
          ? `Which endpoint is "${m.mention}"? ${PLATFORM_HINT(m)}`
          : `No endpoint can publish to "${m.mention}": configure one, or answer "none" to leave it out.`,
        options: [...m.candidates.map((c) => ({ value: c.id, label: `${c.name} (${c.type})` })), { value: 'none', label: 'Leave it out' }],
      });
    }
    const chosen = d.mentions.map((m) => m.choice).filter((c): c is string => c !== null && c !== 'none');
    const endpointIds = [...new Set([...d.endpointIds, ...chosen])];
    if (endpointIds.length && profile && profile.key !== PUBLISHABLE_PROFILE)
      questions.push({
        field: 'endpoints',
        question: `Only ${PUBLISHABLE_PROFILE} results can be published: answer "none" to run without publishing.`,
        options: [{ value: 'none', label: 'Publish nothing' }],
      });
    const endpoints = endpointIds.map((id) => all.find((e) => e.id === id)).filter((e): e is EndpointChoice => e !== undefined);

    let record: PlanEstimateRecord = { steps: [], worstCaseUsd: 0, cacheHits: 0, fitsBudget: true, cheapest: null, endpoints: [], mentions: d.mentions };
    let costPico = 0n;
    let seconds = 0;
    if (profile && items.length) {
      // read as a submission would be: every item checked against the profile (a 400 naming it), the cache asked
      const read = await this.reader.read(principal, {
        events: formEvents({ profile: `${profile.key}@${profile.version}` }, items),
        checkFields: checkSubmitFields,
      });
      const calls = read.intake.count - read.cacheHits;
      const limits = await this.quotas.limitsFor(tenantId);
      const e = await this.estimator.estimate({
        tenantId,
        profile,
        calls,
        meanInputChars: read.intake.inputChars / Math.max(1, read.intake.count),
        sampleInputs: items.slice(0, SAMPLE_ITEMS),
        allowedTiers: limits.allowedTiers,
        stepModels: d.stepModels,
      });
      costPico = e.costPico;
      seconds = e.seconds;
      const budgetPico = d.budgetUsd === null ? null : usdToPico(d.budgetUsd.toFixed(6));
      const fitsBudget = budgetPico === null || e.costPico <= budgetPico;
      const cheapestPico = e.cheapest.reduce((n, s) => n + s.costPico, 0n);
      record = {
        steps: e.steps,
        worstCaseUsd: picoToUsd(e.worstPico),
        cacheHits: read.cacheHits,
        fitsBudget,
        cheapest:
          !fitsBudget && budgetPico !== null && cheapestPico <= budgetPico
            ? { steps: e.cheapest.map((s) => ({ step: s.step, model: s.model })), costUsd: picoToUsd(cheapestPico) }
            : null,
        endpoints: endpoints.map((x) => ({ id: x.id, name: x.name, type: x.type })),
        mentions: d.mentions,
      };
      if (d.deadline && d.deadline.getTime() < this.clock.now().getTime() + seconds * 1000)
        questions.push({
          field: 'deadline',
          question: `The estimate (${seconds} s) ends after the deadline ${d.deadline.toISOString()}: set a later deadline or faster models, or answer "none" to drop it.`,
          options: [{ value: 'none', label: 'No deadline' }],
        });
    } else record = { ...record, endpoints: endpoints.map((x) => ({ id: x.id, name: x.name, type: x.type })) };
    return {
      status: questions.length ? 'needs_input' : 'proposed',
      intake: d.intake,
      questions,
      profileKey: profile?.key ?? null,
      profileVersion: profile?.version ?? null,
      items,
      stepModels: d.stepModels,
      endpointIds,
      budgetUsd: d.budgetUsd === null ? null : d.budgetUsd.toFixed(6),
      deadline: d.deadline,
      estimate: record,
      costUsd: picoToDecimal(costPico),
      seconds,
    };
  }
}

const PLATFORM_HINT = (m: MentionState) =>
  m.candidates.length > 1 ? `${m.candidates.length} endpoints could be meant.` : 'It is the only one that could be meant.';
