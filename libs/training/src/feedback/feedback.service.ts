import { Injectable } from '@nestjs/common';
import type { FeedbackRequest, FeedbackView } from '@margin/contracts';
import { Clock, NotFoundError } from '@margin/core';
import { compileSchema, JobsRepository, ProfilesService, type ProfileDefinition } from '@margin/analysis';
import type { Principal } from '@margin/identity';
import { ExamplesQueryRepository } from '../examples/examples.repository';
import { InvalidTrainingRequestError } from '../training.errors';
import { FeedbackRepository, type FeedbackRow } from './feedback.repository';

/** What a correction of the item's output corrects: which steps' answers, and how the output maps onto them. */
export interface EditTarget {
  /** The steps whose latest example carries the answer (a gated profile's content or refine step). */
  steps: string[];
  /** The item's output is the content with the gate's `scores` and `rounds` added: those are not the answer. */
  composed: boolean;
}

/** The step(s) whose answer is the item's output: the last step (the refine step never is), or under a gate that composes it, the content. */
export function editTarget(profile: Pick<ProfileDefinition, 'steps' | 'qualityGate'>): EditTarget {
  const gate = profile.qualityGate;
  const steps = profile.steps.filter((s) => s.name !== gate?.refineStep);
  const last = steps.at(-1);
  if (gate && last?.name === gate.assessStep) {
    const at = profile.steps.findIndex((s) => s.name === gate.assessStep);
    const content = profile.steps[at - 1];
    return { steps: content ? [content.name, gate.refineStep] : [], composed: true };
  }
  return { steps: last ? [last.name] : [], composed: false };
}

/** The answer an edited output stands for: the gated content without the gate's additions. */
export function answerOf(edits: unknown, target: EditTarget): unknown {
  if (!target.composed || typeof edits !== 'object' || edits === null || Array.isArray(edits)) return edits;
  const { scores: _scores, rounds: _rounds, ...content } = edits as Record<string, unknown>;
  return content;
}

function toView(row: FeedbackRow): FeedbackView {
  return {
    id: row.id,
    itemId: row.itemId,
    jobId: row.jobId,
    rating: row.rating,
    approved: row.approved,
    edits: row.edits ?? null,
    comment: row.comment,
    step: row.step,
    exampleId: row.exampleId,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/**
 * Feedback on an item: a rating for all its examples, and optionally the corrected output, checked against
 * the profile's output schema (or one step's), which exports then carry instead of the model's answer.
 */
@Injectable()
export class FeedbackService {
  constructor(
    private readonly items: JobsRepository,
    private readonly profiles: ProfilesService,
    private readonly examples: ExamplesQueryRepository,
    private readonly repo: FeedbackRepository,
    private readonly clock: Clock,
  ) {}

  async submit(principal: Principal, itemId: string, body: FeedbackRequest): Promise<FeedbackView> {
    const found = await this.items.findItemWithProfile(principal.tenantId, itemId);
    if (!found) throw new NotFoundError('Item');
    const { item } = found;
    const profile = await this.profiles.resolve(principal.tenantId, found.profileKey, found.profileVersion);
    let target: EditTarget;
    if (body.step !== undefined) {
      const step = profile.steps.find((s) => s.name === body.step);
      if (!step) throw new InvalidTrainingRequestError([`step must be one of ${profile.steps.map((s) => s.name).join(', ')}`]);
      target = { steps: [step.name], composed: false };
    } else target = editTarget(profile);

    let answer: unknown;
    let exampleId: string | null = null;
    if (body.edits !== undefined) {
      const schema = body.step !== undefined ? profile.steps.find((s) => s.name === body.step)?.outputSchema : profile.outputSchema;
      const problems = schema ? compileSchema(schema).problems(body.edits, 'edits') : [];
      if (problems.length) throw new InvalidTrainingRequestError(problems);
      answer = answerOf(body.edits, target);
      // The latest answer of the target steps is the one the item's output came from.
      const examples = await this.examples.ofItem(principal.tenantId, itemId);
      exampleId = examples.find((e) => e.step !== null && target.steps.includes(e.step))?.id ?? null;
    }
    const saved = await this.repo.upsert(
      principal.tenantId,
      {
        itemId,
        jobId: item.jobId,
        exampleId,
        step: body.step ?? null,
        rating: body.rating,
        approved: body.approved ?? null,
        edits: answer,
        comment: body.comment ?? null,
        userId: principal.userId ?? null,
      },
      this.clock.now(),
    );
    return toView(saved);
  }
}
