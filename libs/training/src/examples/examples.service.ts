import { Injectable } from '@nestjs/common';
import type { ExportFormat, Page, TrainingExampleView } from '@margin/contracts';
import { decodeCursor, encodeCursor, picoToUsd, usdToPico } from '@margin/core';
import { answerText, openAiLineProblems, renderLine, splitPart, type TrainingRecord } from '../export/formats';
import { ExamplesQueryRepository, type ExampleFilters, type ExampleWithFeedback } from './examples.repository';

/** Examples read per page while an export streams: each page is one query, so no connection waits on the client. */
const EXPORT_PAGE = 500;

export interface ExportOptions {
  format: ExportFormat;
  dedupe: boolean;
  /** With `part`: the share of examples in `train`. */
  split?: number;
  part?: 'train' | 'validation';
}

export function toExampleView(e: ExampleWithFeedback): TrainingExampleView {
  return {
    id: e.id,
    source: e.source as TrainingExampleView['source'],
    jobId: e.jobId,
    itemId: e.itemId,
    profileKey: e.profileKey,
    profileVersion: e.profileVersion,
    step: e.step,
    round: e.round,
    operation: e.operation,
    model: e.modelId,
    provider: e.providerId,
    messages: e.messages,
    output: e.structured ? e.outputJson : e.outputText,
    inputHash: e.inputHash,
    inputTokens: e.inputTokens,
    outputTokens: e.outputTokens,
    costUsd: picoToUsd(usdToPico(e.costUsd)),
    latencyMs: e.latencyMs,
    quality: e.quality === null ? null : Number(e.quality),
    emulated: e.emulated,
    createdAt: e.createdAt.toISOString(),
    feedback: e.rating === null ? null : { rating: e.rating, approved: e.approved, edited: e.edited, comment: e.comment },
  };
}

/** The example as a fine-tuning record: the messages sent, then the answer (the corrected one when edited). */
export function toRecord(e: ExampleWithFeedback): TrainingRecord {
  return {
    messages: [...e.messages.filter((m) => m.content.trim() !== ''), { role: 'assistant', content: answerText(e) }],
    inputHash: e.inputHash,
    meta: {
      exampleId: e.id,
      profileKey: e.profileKey,
      step: e.step,
      operation: e.operation,
      model: e.modelId,
      rating: e.rating,
      approved: e.approved,
      edited: e.edited,
      quality: e.quality === null ? null : Number(e.quality),
      createdAt: e.createdAt.toISOString(),
    },
  };
}

/** A record fine-tuning can use: every turn has text and the answer is last (the OpenAI rules, which the other formats share). */
export function usableRecord(record: TrainingRecord): boolean {
  return openAiLineProblems(renderLine(record, 'openai-jsonl')).length === 0;
}

@Injectable()
export class ExamplesService {
  constructor(private readonly repo: ExamplesQueryRepository) {}

  async list(tenantId: string, filters: ExampleFilters, query: { limit?: number; cursor?: string }): Promise<Page<TrainingExampleView>> {
    const limit = Math.min(Math.max(query.limit ?? 50, 1), 200);
    const rows = await this.repo.page(tenantId, filters, { limit: limit + 1, after: query.cursor ? decodeCursor(query.cursor) : undefined });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return { data: page.map(toExampleView), nextCursor: rows.length > limit && last ? encodeCursor(last.createdAt, last.id) : null };
  }

  /**
   * The matching examples as fine-tuning records, a page at a time, oldest first (by input hash with `dedupe`);
   * records fine-tuning cannot use (an empty answer, say) are left out.
   */
  async *records(tenantId: string, filters: ExampleFilters, options: Pick<ExportOptions, 'dedupe' | 'split' | 'part'>): AsyncGenerator<TrainingRecord> {
    let after: { createdAt: Date; id: string } | { inputHash: string } | undefined;
    for (;;) {
      const page = await this.repo.exportPage(tenantId, filters, { limit: EXPORT_PAGE, dedupe: options.dedupe, after });
      for (const example of page) {
        if (options.split !== undefined && options.part && splitPart(example.inputHash, options.split) !== options.part) continue;
        const record = toRecord(example);
        if (usableRecord(record)) yield record;
      }
      const last = page.at(-1);
      if (page.length < EXPORT_PAGE || !last) return;
      after = options.dedupe ? { inputHash: last.inputHash } : { createdAt: last.createdAt, id: last.id };
    }
  }

  /** The export's lines in `format`. */
  async *lines(tenantId: string, filters: ExampleFilters, options: ExportOptions): AsyncGenerator<string> {
    for await (const record of this.records(tenantId, filters, options)) yield renderLine(record, options.format);
  }
}
