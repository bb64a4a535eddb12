import { Process, Processor } from '@nestjs/bull';
import { Injectable, Logger } from '@nestjs/common';
import { QUEUES, type ChatMessage, type EvalScores } from '@margin/contracts';
import { Clock, picoToDecimal, validatePayload, type PicoUsd } from '@margin/core';
import { PipelineRunner, ProfilesService, QuotaService, type ProfileDefinition } from '@margin/analysis';
import { LlmExecutor } from '@margin/model-router';
import type { Job } from 'bull';
import { IsUUID } from 'class-validator';
import { EvalsRepository, type EvalItemRow, type EvalRunRow } from './evals.repository';
import { EVAL_RUN_JOB, type EvalRunPayload } from './evals.service';
import { isSongExpectation, scoreSongReview } from './scoring';

/** Items of one run in flight at once: the executor's limits still hold across every worker. */
const ITEM_CONCURRENCY = 4;

class EvalRunCommand implements EvalRunPayload {
  @IsUUID() tenantId!: string;
  @IsUUID() runId!: string;
}

type AllowedTiers = Awaited<ReturnType<QuotaService['limitsFor']>>['allowedTiers'];

interface ItemAnswer {
  output: unknown;
  costPico: PicoUsd;
}

/**
 * Runs an eval set on one model, worker side: every item through the normal executor (routed to that model,
 * rate-limited, budgeted, booked in the ledger like any call, but recorded as no training example), scored
 * against `expected` (song-analysis reviews) or by the quality-assessment judge.
 */
@Injectable()
export class EvalRunner {
  private readonly logger = new Logger(EvalRunner.name);

  constructor(
    private readonly repo: EvalsRepository,
    private readonly pipeline: PipelineRunner,
    private readonly executor: LlmExecutor,
    private readonly profiles: ProfilesService,
    private readonly quotas: QuotaService,
    private readonly clock: Clock,
  ) {}

  async run(tenantId: string, runId: string): Promise<void> {
    const run = await this.repo.getRun(tenantId, runId);
    if (!run || run.status === 'completed') return;
    const set = await this.repo.getSet(tenantId, run.evalSetId);
    if (!set) {
      await this.repo.setStatus(tenantId, runId, 'failed', this.clock.now(), 'the eval set was deleted');
      return;
    }
    await this.repo.setStatus(tenantId, runId, 'running', this.clock.now());
    try {
      const [profile, judge, limits, items, done] = await Promise.all([
        this.profiles.resolve(tenantId, set.profileKey),
        this.profiles.resolve(tenantId, 'quality-assessment'),
        this.quotas.limitsFor(tenantId),
        this.repo.items(set.id),
        this.repo.runItems(runId),
      ]);
      // A replayed run (the worker restarted mid-way) goes on where it stopped.
      const finished = new Set(done.map((d) => d.seq));
      const queue = items.filter((i) => !finished.has(i.seq));
      const work = async (): Promise<void> => {
        for (let item = queue.shift(); item; item = queue.shift()) await this.runItem(tenantId, run, profile, judge, limits.allowedTiers, item);
      };
      await Promise.all(Array.from({ length: ITEM_CONCURRENCY }, work));
      await this.repo.setStatus(tenantId, runId, 'completed', this.clock.now());
      this.logger.log({ tenantId, runId, model: run.model, items: items.length }, 'eval run completed');
    } catch (err) {
      await this.repo.setStatus(tenantId, runId, 'failed', this.clock.now(), (err as Error).message.slice(0, 2000));
      throw err;
    }
  }

  private async runItem(
    tenantId: string,
    run: EvalRunRow,
    profile: ProfileDefinition,
    judge: ProfileDefinition,
    allowedTiers: AllowedTiers,
    item: EvalItemRow,
  ): Promise<void> {
    const started = performance.now();
    const attemptKey = `eval:${run.id}:${item.seq}`;
    let answer: ItemAnswer;
    try {
      answer = await this.answer(tenantId, run.model, profile, item, attemptKey, allowedTiers);
    } catch (err) {
      await this.repo.addRunItem(run.id, {
        seq: item.seq,
        status: 'failed',
        output: null,
        error: (err as Error).message.slice(0, 2000),
        scores: null,
        quality: null,
        costUsd: '0',
        latencyMs: Math.round(performance.now() - started),
      });
      return;
    }
    const latencyMs = Math.round(performance.now() - started);
    let scores: EvalScores | null = null;
    let quality: number | null = null;
    let cost = answer.costPico;
    let error: string | null = null;
    if (profile.key === 'song-analysis' && isSongExpectation(item.expected)) {
      ({ scores, quality } = scoreSongReview(answer.output, item.expected));
    } else {
      try {
        const judged = await this.judge(tenantId, run, judge, item, answer.output, `${attemptKey}:judge`, allowedTiers);
        cost += judged.costPico;
        quality = judged.overall;
        scores = { judged: judged.overall };
      } catch (err) {
        error = `judge: ${(err as Error).message.slice(0, 1000)}`;
      }
    }
    await this.repo.addRunItem(run.id, {
      seq: item.seq,
      status: 'completed',
      output: answer.output,
      error,
      scores,
      quality,
      costUsd: picoToDecimal(cost),
      latencyMs,
    });
  }

  /** The model's answer to one item: the profile's pipeline, or for items made from a dataset, its recorded prompt as sent. */
  private async answer(
    tenantId: string,
    model: string,
    profile: ProfileDefinition,
    item: EvalItemRow,
    attemptKey: string,
    allowedTiers: AllowedTiers,
  ): Promise<ItemAnswer> {
    const messages = item.input['messages'];
    if (Array.isArray(messages)) {
      const operation = typeof item.input['operation'] === 'string' ? item.input['operation'] : 'chat';
      const outcome = await this.executor.execute({
        tenantId,
        operation,
        complexity: 'medium',
        messages: messages as ChatMessage[],
        models: [model],
        attemptPrefix: `${attemptKey}:chat`,
        allowedTiers,
        trace: { source: 'eval', record: false },
        maxWaitMs: 30_000,
        timeoutMs: 120_000,
      });
      let output: unknown = outcome.result.text;
      try {
        output = JSON.parse(outcome.result.text);
      } catch {
        // a text answer
      }
      return { output, costPico: outcome.costPico };
    }
    const result = await this.pipeline.run(profile, item.input, {
      tenantId,
      attemptKey,
      models: [model],
      allowedTiers,
      source: 'eval',
      recordExamples: false,
    });
    await result.settled;
    return { output: result.output, costPico: result.costPico };
  }

  private async judge(
    tenantId: string,
    run: EvalRunRow,
    judge: ProfileDefinition,
    item: EvalItemRow,
    output: unknown,
    attemptKey: string,
    allowedTiers: AllowedTiers,
  ): Promise<{ overall: number; costPico: PicoUsd }> {
    const expected =
      item.expected === null || item.expected === undefined
        ? ''
        : `\n\nA reference answer:\n${typeof item.expected === 'string' ? item.expected : JSON.stringify(item.expected)}`;
    const content = `${typeof output === 'string' ? output : JSON.stringify(output)}${expected}`.slice(0, 100_000);
    const result = await this.pipeline.run(
      judge,
      { content },
      {
        tenantId,
        attemptKey,
        ...(run.judgeModel ? { models: [run.judgeModel] } : {}),
        allowedTiers,
        source: 'eval',
        recordExamples: false,
      },
    );
    await result.settled;
    const overall = (result.output as { overall?: unknown }).overall;
    if (typeof overall !== 'number') throw new Error('the judge gave no overall score');
    return { overall, costPico: result.costPico };
  }
}

@Processor(QUEUES.maintenance)
export class EvalRunProcessor {
  constructor(private readonly runner: EvalRunner) {}

  @Process(EVAL_RUN_JOB)
  async run(job: Job<unknown>): Promise<void> {
    const command = validatePayload(EvalRunCommand, job.data, 'training.eval-run payload');
    await this.runner.run(command.tenantId, command.runId);
  }
}
