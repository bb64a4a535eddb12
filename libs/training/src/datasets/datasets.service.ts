import { Injectable, Logger } from '@nestjs/common';
import type { DatasetView, ExportFormat } from '@margin/contracts';
import { NotFoundError } from '@margin/core';
import type { ExampleFilters } from '../examples/examples.repository';
import { ExamplesService } from '../examples/examples.service';
import { renderLine, type TrainingRecord } from '../export/formats';
import { DatasetsRepository, type DatasetRow } from './datasets.repository';

const CHUNK = 500;

function toView(row: DatasetRow): DatasetView {
  return {
    id: row.id,
    name: row.name,
    version: row.version,
    format: row.format,
    filters: row.filters,
    examples: row.examples,
    createdAt: row.createdAt.toISOString(),
  };
}

/**
 * Datasets: an export frozen under a name. Each creation is a new version holding a copy of the records as
 * they were (edits applied), so retention, new feedback or new examples never change a dataset once made.
 */
@Injectable()
export class DatasetsService {
  private readonly logger = new Logger(DatasetsService.name);

  constructor(
    private readonly repo: DatasetsRepository,
    private readonly examples: ExamplesService,
  ) {}

  async create(
    tenantId: string,
    request: { name: string; format: ExportFormat; filters: ExampleFilters; dedupe: boolean; rawFilters: Record<string, unknown> },
  ): Promise<DatasetView> {
    const dataset = await this.repo.create(tenantId, {
      name: request.name,
      format: request.format,
      filters: { ...request.rawFilters, dedupe: request.dedupe },
    });
    let count = 0;
    try {
      let chunk: TrainingRecord[] = [];
      for await (const record of this.examples.records(tenantId, request.filters, { dedupe: request.dedupe })) {
        chunk.push(record);
        if (chunk.length >= CHUNK) {
          await this.repo.addRecords(dataset.id, count, chunk);
          count += chunk.length;
          chunk = [];
        }
      }
      await this.repo.addRecords(dataset.id, count, chunk);
      count += chunk.length;
      return toView(await this.repo.finish(tenantId, dataset.id, count));
    } catch (err) {
      // A half-copied version is worse than none: it goes, the caller can try again.
      await this.repo.remove(tenantId, dataset.id).catch((e: Error) => this.logger.warn(`could not remove dataset ${dataset.id}: ${e.message}`));
      throw err;
    }
  }

  async list(tenantId: string): Promise<DatasetView[]> {
    return (await this.repo.list(tenantId)).map(toView);
  }

  async get(tenantId: string, id: string): Promise<DatasetView> {
    const row = await this.repo.get(tenantId, id);
    if (!row) throw new NotFoundError('Dataset');
    return toView(row);
  }

  /** The dataset's frozen records, a page at a time. */
  async *records(tenantId: string, id: string): AsyncGenerator<TrainingRecord> {
    await this.get(tenantId, id);
    let after = -1;
    for (;;) {
      const page = await this.repo.records(id, after, CHUNK);
      for (const row of page) yield row.record;
      const last = page.at(-1);
      if (page.length < CHUNK || !last) return;
      after = last.seq;
    }
  }

  async *lines(tenantId: string, id: string, format: ExportFormat): AsyncGenerator<string> {
    for await (const record of this.records(tenantId, id)) yield renderLine(record, format);
  }
}
