import { Body, Controller, Get, Param, ParseUUIDPipe, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiPropertyOptional, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { EXPORT_FORMATS, type DatasetView, type ExportFormat } from '@margin/contracts';
import { CurrentPrincipal, MinRole, type Principal } from '@margin/identity';
import { IsIn, IsOptional } from 'class-validator';
import type { Response } from 'express';
import { JSONL_CONTENT_TYPE, writeLines } from '../export/write-lines';
import { CreateDatasetDto, filtersOf } from '../training.dto';
import { DatasetsService } from './datasets.service';

class DatasetExportQueryDto {
  @ApiPropertyOptional({ enum: EXPORT_FORMATS, description: "Default: the dataset's format" })
  @IsOptional()
  @IsIn(EXPORT_FORMATS)
  format?: ExportFormat;
}

@ApiTags('training')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('training/datasets')
export class DatasetsController {
  constructor(private readonly datasets: DatasetsService) {}

  @Post()
  @MinRole('member')
  @ApiOperation({ summary: 'Freeze a filtered export as the next version of a named dataset' })
  create(@CurrentPrincipal() principal: Principal, @Body() body: CreateDatasetDto): Promise<DatasetView> {
    const raw = { ...(body.filters ?? {}) } as Record<string, unknown>;
    return this.datasets.create(principal.tenantId, {
      name: body.name,
      format: body.format ?? 'openai-jsonl',
      filters: filtersOf(body.filters ?? {}),
      dedupe: body.dedupe ?? true,
      rawFilters: raw,
    });
  }

  @Get()
  @ApiOperation({ summary: "The tenant's datasets, every version" })
  list(@CurrentPrincipal() principal: Principal): Promise<DatasetView[]> {
    return this.datasets.list(principal.tenantId);
  }

  @Get(':id')
  get(@CurrentPrincipal() principal: Principal, @Param('id', new ParseUUIDPipe()) id: string): Promise<DatasetView> {
    return this.datasets.get(principal.tenantId, id);
  }

  @Get(':id/export')
  @ApiOperation({ summary: "The dataset's frozen records as JSONL (streamed)" })
  async export(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ParseUUIDPipe()) id: string,
    @Query() q: DatasetExportQueryDto,
    @Res() res: Response,
  ): Promise<void> {
    const dataset = await this.datasets.get(principal.tenantId, id);
    const format = q.format ?? dataset.format;
    res.setHeader('Content-Type', JSONL_CONTENT_TYPE);
    res.setHeader('Content-Disposition', `attachment; filename="${dataset.name}-v${dataset.version}-${format}.jsonl"`);
    await writeLines(this.datasets.lines(principal.tenantId, id, format), res);
  }
}
