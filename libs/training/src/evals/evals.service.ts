import { InjectQueue } from '@nestjs/bull';
import { Injectable } from '@nestjs/common';
import { QUEUES, type EvalRunItemView, type EvalRunView, type EvalSetView } from '@margin/contracts';
import { NotFoundError, picoToUsd, usdToPico } from '@margin/core';
import { compileSchema, ProfilesService } from '@margin/analysis';
import { CatalogService } from '@margin/model-router';
import type { Queue } from 'bull';
import { DatasetsService } from '../datasets/datasets.service';
import { InvalidTrainingRequestError } from '../training.errors';
import { EvalsRepository, type EvalRunItemRow, type EvalRunRow, type EvalSetRow } from './evals.repository';
import { isSongExpectation, runTotals } from './scoring';

export const EVAL_RUN_JOB = 'training.eval-run';
export interface EvalRunPayload {
  tenantId: string;
  runId: string;
}

const MAX_ITEMS = 1000;

function setView(row: EvalSetRow): EvalSetView {
  return { id: row.id, name: row.name, profileKey: row.profileKey, builtIn: row.tenantId === null, items: row.items, createdAt: row.createdAt.toISOString() };
}

function itemView(row: EvalRunItemRow): EvalRunItemView {
  return {
    seq: row.seq,
    status: row.status,
    output: row.output,
    error: row.error,
    scores: row.scores,
    quality: row.quality === null ? null : Number(row.quality),
    costUsd: picoToUsd(usdToPico(row.costUsd)),
    latencyMs: row.latencyMs,
  };
}

export function runView(run: EvalRunRow, items: EvalRunItemRow[], total: number, withItems: boolean): EvalRunView {
  const views = items.map(itemView);
  const cost = picoToUsd(items.reduce((sum, i) => sum + usdToPico(i.costUsd), 0n));
  return {
    id: run.id,
    evalSetId: run.evalSetId,
    model: run.model,
    judgeModel: run.judgeModel,
    status: run.status,
    error: run.error,
    totals: runTotals(views, total, cost),
    ...(withItems ? { items: views } : {}),
    createdAt: run.createdAt.toISOString(),
    finishedAt: run.finishedAt ? run.finishedAt.toISOString() : null,
  };
}

/** Eval sets and runs, API side: a run is queued for the worker, which runs every item through the executor. */
@Injectable()
export class EvalsService {
  constructor(
    private readonly repo: EvalsRepository,
    private readonly profiles: ProfilesService,
    private readonly catalog: CatalogService,
    private readonly datasets: DatasetsService,
    @InjectQueue(QUEUES.maintenance) private readonly queue: Queue,
  ) {}

  async createSet(
    tenantId: string,
    request: { name: string; profile: string; items?: Array<{ input: Record<string, unknown>; expected?: unknown }>; datasetId?: string },
  ): Promise<EvalSetView> {
    const profile = await this.profiles.get(tenantId, request.profile);
    if (!profile) throw new InvalidTrainingRequestError([`profile "${request.profile}" is not a profile of this tenant`]);
    if (!request.items === !request.datasetId) throw new InvalidTrainingRequestError(['give either items or datasetId']);
    let items: Array<{ input: unknown; expected?: unknown }>;
    if (request.items) {
      const validator = compileSchema(profile.inputSchema);
      const problems = request.items.flatMap((item, i) => validator.problems(item.input, `items.${i}.input`));
      if (profile.key === 'song-analysis') {
        request.items.forEach((item, i) => {
          if (item.expected !== undefined && !isSongExpectation(item.expected))
            problems.push(`items.${i}.expected must be {verdict, score, concerns: [category]} for song-analysis`);
        });
      }
      if (problems.length) throw new InvalidTrainingRequestError(problems.slice(0, 50));
      items = request.items;
    } else {
      // A dataset's records: the prompt turns are sent as they are, the recorded (or corrected) answer is expected.
      items = [];
      for await (const record of this.datasets.records(tenantId, request.datasetId as string)) {
        const answer = record.messages.at(-1)?.content ?? '';
        let expected: unknown = answer;
        try {
          expected = JSON.parse(answer);
        } catch {
          // a text answer: the judge scores against it
        }
        items.push({ input: { messages: record.messages.slice(0, -1), operation: record.meta.operation }, expected });
        if (items.length > MAX_ITEMS) throw new InvalidTrainingRequestError([`datasetId: an eval set takes at most ${MAX_ITEMS} items`]);
      }
      if (items.length === 0) throw new InvalidTrainingRequestError(['datasetId: the dataset has no records']);
    }
    return setView(await this.repo.createSet(tenantId, { name: request.name, profileKey: profile.key, items }));
  }

  async listSets(tenantId: string): Promise<EvalSetView[]> {
    return (await this.repo.listSets(tenantId)).map(setView);
  }

  async getSet(tenantId: string, id: string): Promise<EvalSetView> {
    return setView(await this.set(tenantId, id));
  }

  async createRun(tenantId: string, setId: string, request: { model: string; judgeModel?: string }): Promise<EvalRunView> {
    const set = await this.set(tenantId, setId);
    const problems: string[] = [];
    if (!this.catalog.model(request.model)) problems.push(`model "${request.model}" is not in the catalog`);
    if (request.judgeModel !== undefined && !this.catalog.model(request.judgeModel)) problems.push(`judgeModel "${request.judgeModel}" is not in the catalog`);
    if (problems.length) throw new InvalidTrainingRequestError(problems);
    const run = await this.repo.createRun(tenantId, set.id, request.model, request.judgeModel ?? null);
    const payload: EvalRunPayload = { tenantId, runId: run.id };
    await this.queue.add(EVAL_RUN_JOB, payload, {
      jobId: `eval-run:${run.id}`,
      attempts: 3,
      backoff: { type: 'exponential', delay: 5_000 },
      removeOnComplete: true,
    });
    return runView(run, [], set.items, false);
  }

  async listRuns(tenantId: string, setId: string): Promise<EvalRunView[]> {
    const set = await this.set(tenantId, setId);
    const runs = await this.repo.listRuns(tenantId, set.id);
    return Promise.all(runs.map(async (r) => runView(r, await this.repo.runItems(r.id), set.items, false)));
  }

  async getRun(tenantId: string, setId: string, runId: string): Promise<EvalRunView> {
    const set = await this.set(tenantId, setId);
    const run = await this.repo.getRun(tenantId, runId);
    if (!run || run.evalSetId !== set.id) throw new NotFoundError('Eval run');
    return runView(run, await this.repo.runItems(run.id), set.items, true);
  }

  /** Two runs of one set side by side: their totals, and per item each run's quality, cost and latency. */
  async compare(tenantId: string, setId: string, a: string, b: string): Promise<{ runs: [EvalRunView, EvalRunView]; items: unknown[] }> {
    const [left, right] = await Promise.all([this.getRun(tenantId, setId, a), this.getRun(tenantId, setId, b)]);
    const bySeq = (run: EvalRunView) => new Map((run.items ?? []).map((i) => [i.seq, i]));
    const l = bySeq(left);
    const r = bySeq(right);
    const seqs = [...new Set([...l.keys(), ...r.keys()])].sort((x, y) => x - y);
    const cell = (i: EvalRunItemView | undefined) =>
      i ? { status: i.status, quality: i.quality, costUsd: i.costUsd, latencyMs: i.latencyMs, scores: i.scores } : null;
    const strip = (run: EvalRunView): EvalRunView => ({ ...run, items: undefined });
    return { runs: [strip(left), strip(right)], items: seqs.map((seq) => ({ seq, a: cell(l.get(seq)), b: cell(r.get(seq)) })) };
  }

  private async set(tenantId: string, id: string): Promise<EvalSetRow> {
    const set = await this.repo.getSet(tenantId, id);
    if (!set) throw new NotFoundError('Eval set');
    return set;
  }
}
