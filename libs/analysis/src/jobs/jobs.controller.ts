import { Body, Controller, Get, Headers, HttpCode, Param, ParseUUIDPipe, Post, Put, Query, Res, UploadedFile, UseInterceptors } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { ApiBearerAuth, ApiConsumes, ApiHeader, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { PRIORITIES, type AnalyzeResponse, type JobStats, type JobEstimate, type JobItemView, type JobView, type Page, type Priority } from '@margin/contracts';
import { CurrentPrincipal, MinRole, OperatorOnly, type Principal } from '@margin/identity';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsISO8601, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';
import type { Response } from 'express';
import { parseProfileRef, ProfilesService } from '../profiles/profiles.service';
import { AnalyzeService } from './analyze.service';
import { itemsFromFile } from './item-input';
import { AnalyzeDto, ListItemsQueryDto, ListJobsQueryDto, MAX_ITEMS_PER_JOB, ResultsQueryDto, SubmitJobDto } from './jobs.dto';
import { JobsService, NoItemsError, type SubmitInput } from './jobs.service';
import { PriorityService, type PriorityRule } from './priority.service';

interface UploadedItemsFile {
  originalname: string;
  mimetype: string;
  buffer: Buffer;
}

class PriorityRuleDto implements PriorityRule {
  @IsString() @MaxLength(200) pattern!: string;
  @IsIn(PRIORITIES) priority!: Priority;
}

class PriorityRulesDto {
  @IsArray() @ArrayMaxSize(50) @ValidateNested({ each: true }) @Type(() => PriorityRuleDto) rules!: PriorityRuleDto[];
}

class StatsQueryDto {
  @IsOptional() @IsISO8601({ strict: true }) from?: string;
  @IsOptional() @IsISO8601({ strict: true }) to?: string;
}

const UPLOAD = FileInterceptor('file', { limits: { fileSize: 200 * 1024 * 1024, files: 1 } });

@ApiTags('jobs')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller()
export class JobsController {
  constructor(
    private readonly jobs: JobsService,
    private readonly analyzer: AnalyzeService,
    private readonly profiles: ProfilesService,
    private readonly priorities: PriorityService,
  ) {}

  private async input(principal: Principal, body: SubmitJobDto, file?: UploadedItemsFile): Promise<SubmitInput> {
    let items = body.items;
    if (file) {
      const { key, version } = parseProfileRef(body.profile);
      const profile = await this.profiles.resolve(principal.tenantId, key, version);
      items = itemsFromFile(file, profile.inputSchema);
      if (items.length > MAX_ITEMS_PER_JOB) items = items.slice(0, MAX_ITEMS_PER_JOB + 1);
    }
    if (!items?.length) throw new NoItemsError();
    return { profile: body.profile, name: body.name, priority: body.priority, budgetUsd: body.budgetUsd, metadata: body.metadata, items };
  }

  @Post('jobs')
  @MinRole('member')
  @UseInterceptors(UPLOAD)
  @ApiConsumes('application/json', 'multipart/form-data')
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Same key + same body → the same job (200); different body → 409' })
  @ApiOperation({ summary: 'Submit a batch: 202 with the job, its priority and an estimate (200 when an Idempotency-Key replays it)' })
  async submit(
    @CurrentPrincipal() principal: Principal,
    @Body() body: SubmitJobDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) res: Response,
    @UploadedFile() file?: UploadedItemsFile,
  ) {
    const key = idempotencyKey?.trim() ? idempotencyKey.trim().slice(0, 200) : undefined;
    const { created, response } = await this.jobs.submit(principal, await this.input(principal, body, file), key);
    res.status(created ? 202 : 200);
    return response;
  }

  @Post('jobs/estimate')
  @HttpCode(200)
  @UseInterceptors(UPLOAD)
  @ApiConsumes('application/json', 'multipart/form-data')
  @ApiOperation({ summary: 'What a batch would cost and take, and how many items the cache already has — nothing runs' })
  async estimate(@CurrentPrincipal() principal: Principal, @Body() body: SubmitJobDto, @UploadedFile() file?: UploadedItemsFile): Promise<JobEstimate> {
    return this.jobs.estimate(principal, await this.input(principal, body, file));
  }

  @Get('jobs')
  @ApiOperation({ summary: "The tenant's jobs, newest first" })
  list(@CurrentPrincipal() principal: Principal, @Query() q: ListJobsQueryDto): Promise<Page<JobView>> {
    return this.jobs.list(principal, q);
  }

  @Get('jobs/stats')
  @ApiOperation({ summary: 'Items analyzed over a period (default: this month) and the cache hit rate' })
  stats(@CurrentPrincipal() principal: Principal, @Query() q: StatsQueryDto): Promise<JobStats> {
    return this.jobs.stats(principal, { from: q.from ? new Date(q.from) : undefined, to: q.to ? new Date(q.to) : undefined });
  }

  @Get('jobs/priority-rules')
  @ApiOperation({ summary: 'How `auto` priority is decided: the first rule whose pattern matches the job name or metadata' })
  rules(): Promise<PriorityRule[]> {
    return this.priorities.rules();
  }

  @Put('jobs/priority-rules')
  @MinRole('admin')
  @OperatorOnly()
  @ApiOperation({ summary: 'Replace the priority rules (operator)' })
  setRules(@Body() body: PriorityRulesDto): Promise<PriorityRule[]> {
    return this.priorities.replace(body.rules);
  }

  @Get('jobs/:id')
  @ApiOperation({ summary: 'A job with its counters, cost, savings and ETA' })
  get(@CurrentPrincipal() principal: Principal, @Param('id', new ParseUUIDPipe()) id: string): Promise<JobView> {
    return this.jobs.get(principal, id);
  }

  @Get('jobs/:id/items')
  @ApiOperation({ summary: 'Items in index order (cursor: the last index of the previous page)' })
  items(@CurrentPrincipal() principal: Principal, @Param('id', new ParseUUIDPipe()) id: string, @Query() q: ListItemsQueryDto): Promise<Page<JobItemView>> {
    return this.jobs.items(principal, id, q);
  }

  @Get('jobs/:id/results')
  @ApiOperation({ summary: 'Every item with its result, as json, jsonl or csv (streamed)' })
  async results(@CurrentPrincipal() principal: Principal, @Param('id', new ParseUUIDPipe()) id: string, @Query() q: ResultsQueryDto, @Res() res: Response): Promise<void> {
    await this.jobs.assertJob(principal, id);
    const format = q.format ?? 'json';
    const type = { json: 'application/json', jsonl: 'application/x-ndjson', csv: 'text/csv' }[format];
    res.setHeader('Content-Type', `${type}; charset=utf-8`);
    res.setHeader('Content-Disposition', `attachment; filename="job-${id}.${format}"`);
    const cell = (v: unknown) => {
      const text = v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
      return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
    };
    let first = true;
    if (format === 'json') res.write('[');
    if (format === 'csv') res.write('index,status,cached,cost_usd,model,error,input,result\n');
    for await (const item of this.jobs.results(principal, id)) {
      const row = { index: item.index, status: item.status, cached: item.cached, costUsd: item.costUsd, model: item.model, error: item.error, input: item.input, result: item.result };
      if (format === 'json') res.write(`${first ? '' : ','}${JSON.stringify(row)}`);
      else if (format === 'jsonl') res.write(`${JSON.stringify(row)}\n`);
      else res.write(`${[item.index, item.status, item.cached, item.costUsd, item.model, item.error, item.input, item.result].map(cell).join(',')}\n`);
      first = false;
    }
    if (format === 'json') res.write(']');
    res.end();
  }

  @Post('jobs/:id/cancel')
  @HttpCode(200)
  @MinRole('member')
  @ApiOperation({ summary: 'Cancel: items not started yet are never run nor charged' })
  cancel(@CurrentPrincipal() principal: Principal, @Param('id', new ParseUUIDPipe()) id: string): Promise<JobView> {
    return this.jobs.cancel(principal, id);
  }

  @Post('jobs/:id/retry')
  @HttpCode(200)
  @MinRole('member')
  @ApiOperation({ summary: 'Queue the failed items again' })
  retry(@CurrentPrincipal() principal: Principal, @Param('id', new ParseUUIDPipe()) id: string): Promise<JobView & { retriedItems: number }> {
    return this.jobs.retry(principal, id);
  }

  @Post('analyze')
  @HttpCode(200)
  @MinRole('member')
  @ApiOperation({ summary: 'Analyze one item now and wait for the result (from the cache when it can be)' })
  analyze(@CurrentPrincipal() principal: Principal, @Body() body: AnalyzeDto): Promise<AnalyzeResponse> {
    return this.analyzer.analyze(principal, body.profile, body.input);
  }
}
