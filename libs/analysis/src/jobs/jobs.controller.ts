import { Body, Controller, Get, Headers, HttpCode, Param, ParseUUIDPipe, Post, Put, Query, Req, Res, UploadedFile, UseInterceptors } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiHeader, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { PRIORITIES, type AnalyzeResponse, type JobStats, type JobEstimate, type JobItemView, type JobView, type Page, type Priority } from '@margin/contracts';
import { CurrentPrincipal, MinRole, OperatorOnly, type Principal } from '@margin/identity';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsISO8601, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';
import { AppConfig, IsSupportedTime } from '@margin/core';
import type { Request, Response } from 'express';
import { parseProfileRef, ProfilesService } from '../profiles/profiles.service';
import { AnalyzeService } from './analyze.service';
import { CallbackSecretsRepository } from './instant/callback-secrets.repository';
import { itemsFromFile } from './item-input';
import { jsonBodyEvents, parseByteSize } from './json-body-stream';
import { BodyTimeoutError, requestBody } from './request-body';
import { RESULTS_CONTENT_TYPES, writeResults } from './results-export';
import { AnalyzeDto, checkSubmitFields, ListItemsQueryDto, ListJobsQueryDto, ResultsQueryDto, SubmitJobDto } from './jobs.dto';
import { PriorityService, type PriorityRule } from './priority.service';
import { ControlJob } from './usecases/control-job';
import { EstimateJob } from './usecases/estimate-job';
import { QueryJobs } from './usecases/query-jobs';
import { SubmitJob } from './usecases/submit-job';
import { formEvents, type SubmitSource } from './usecases/submission';

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
  @IsOptional() @IsISO8601({ strict: true }) @IsSupportedTime() from?: string;
  @IsOptional() @IsISO8601({ strict: true }) @IsSupportedTime() to?: string;
}

/** POST routes whose JSON body the controller streams itself (the global JSON body parser must skip them). */
export const STREAMED_BODY_ROUTES = ['jobs', 'jobs/estimate'];

/**
 * When a submission fails before its body was read to the end (a parse error, a body too large), the rest is
 * read and dropped before answering, so the client sees the error instead of a reset connection. A client too
 * slow to send its body is not waited for again: it gets its 408 and the connection is closed.
 */
async function drainOnError<T>(req: Request, res: Response, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof BodyTimeoutError) {
      res.setHeader('Connection', 'close');
      throw err;
    }
    if (!req.readableEnded && !req.destroyed) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 5000);
        req.once('end', () => {
          clearTimeout(timer);
          resolve();
        });
        req.once('error', () => resolve());
        req.resume();
      });
    }
    throw err;
  }
}

const UPLOAD = FileInterceptor('file', { limits: { fileSize: 200 * 1024 * 1024, files: 1 } });

@ApiTags('jobs')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller()
export class JobsController {
  constructor(
    private readonly submitJob: SubmitJob,
    private readonly estimateJob: EstimateJob,
    private readonly queries: QueryJobs,
    private readonly control: ControlJob,
    private readonly analyzer: AnalyzeService,
    private readonly profiles: ProfilesService,
    private readonly priorities: PriorityService,
    private readonly config: AppConfig,
    private readonly callbackSecrets: CallbackSecretsRepository,
  ) {}

  /**
   * The submission as it arrives. A JSON body is read here as a stream (the global JSON parser skips these
   * routes, see STREAMED_BODY_ROUTES) so that its items are never all in memory; a multipart form has been read
   * by multer (its fields, and the CSV/JSON `file` turned into items).
   */
  private async source(principal: Principal, req: Request, file?: UploadedItemsFile): Promise<SubmitSource> {
    if (!req.is('multipart/form-data') && req.is('application/json')) {
      return {
        events: jsonBodyEvents(requestBody(req, this.config.requestBodyTimeoutSeconds), { limitBytes: parseByteSize(this.config.bodyLimit) }),
        checkFields: checkSubmitFields,
      };
    }
    const form = (req.body ?? {}) as Record<string, unknown>;
    const { items: formItems, ...fields } = form;
    let items: unknown = formItems;
    if (file) {
      const dto = await checkSubmitFields(fields, { notArray: false, tooMany: false, nonObject: false });
      const { key, version } = parseProfileRef(dto.profile);
      const profile = await this.profiles.resolve(principal.tenantId, key, version);
      items = itemsFromFile(file, profile.inputSchema);
    }
    return { events: formEvents(fields, items), checkFields: checkSubmitFields };
  }

  @Post('jobs')
  @MinRole('member')
  @UseInterceptors(UPLOAD)
  @ApiConsumes('application/json', 'multipart/form-data')
  @ApiBody({ type: SubmitJobDto })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Same key + same body → the same job (200); different body → 409' })
  @ApiOperation({ summary: 'Submit a batch: 202 with the job, its priority and an estimate (200 when an Idempotency-Key replays it)' })
  async submit(
    @CurrentPrincipal() principal: Principal,
    @Req() req: Request,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) res: Response,
    @UploadedFile() file?: UploadedItemsFile,
  ) {
    const key = idempotencyKey?.trim() ? idempotencyKey.trim().slice(0, 200) : undefined;
    const source = await this.source(principal, req, file);
    const { created, response } = await drainOnError(req, res, this.submitJob.execute(principal, source, key));
    res.status(created ? 202 : 200);
    return response;
  }

  @Post('jobs/estimate')
  @HttpCode(200)
  @UseInterceptors(UPLOAD)
  @ApiConsumes('application/json', 'multipart/form-data')
  @ApiBody({ type: SubmitJobDto })
  @ApiOperation({ summary: 'What a batch would cost and take, and how many items the cache already has — nothing runs' })
  async estimate(
    @CurrentPrincipal() principal: Principal,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @UploadedFile() file?: UploadedItemsFile,
  ): Promise<JobEstimate> {
    return drainOnError(req, res, this.estimateJob.execute(principal, await this.source(principal, req, file)));
  }

  @Get('jobs')
  @ApiOperation({ summary: "The tenant's jobs, newest first" })
  list(@CurrentPrincipal() principal: Principal, @Query() q: ListJobsQueryDto): Promise<Page<JobView>> {
    return this.queries.list(principal, q);
  }

  @Get('jobs/stats')
  @ApiOperation({ summary: 'Items analyzed over a period (default: this month) and the cache hit rate' })
  stats(@CurrentPrincipal() principal: Principal, @Query() q: StatsQueryDto): Promise<JobStats> {
    return this.queries.stats(principal, { from: q.from ? new Date(q.from) : undefined, to: q.to ? new Date(q.to) : undefined });
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
    return this.queries.get(principal, id);
  }

  @Get('jobs/:id/items')
  @ApiOperation({ summary: 'Items in index order (cursor: the last index of the previous page)' })
  items(@CurrentPrincipal() principal: Principal, @Param('id', new ParseUUIDPipe()) id: string, @Query() q: ListItemsQueryDto): Promise<Page<JobItemView>> {
    return this.queries.items(principal, id, q);
  }

  @Get('jobs/:id/results')
  @ApiOperation({ summary: 'Every item with its result, as json, jsonl or csv (streamed)' })
  async results(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ParseUUIDPipe()) id: string,
    @Query() q: ResultsQueryDto,
    @Res() res: Response,
  ): Promise<void> {
    await this.queries.assertJob(principal, id);
    const format = q.format ?? 'json';
    res.setHeader('Content-Type', `${RESULTS_CONTENT_TYPES[format]}; charset=utf-8`);
    res.setHeader('Content-Disposition', `attachment; filename="job-${id}.${format}"`);
    await writeResults(this.queries.results(principal, id), format, res);
  }

  @Post('jobs/:id/cancel')
  @HttpCode(200)
  @MinRole('member')
  @ApiOperation({ summary: 'Cancel: items not started yet are never run nor charged' })
  cancel(@CurrentPrincipal() principal: Principal, @Param('id', new ParseUUIDPipe()) id: string): Promise<JobView> {
    return this.control.cancel(principal, id);
  }

  @Post('jobs/:id/retry')
  @HttpCode(200)
  @MinRole('member')
  @ApiOperation({ summary: 'Queue the failed items again' })
  retry(@CurrentPrincipal() principal: Principal, @Param('id', new ParseUUIDPipe()) id: string): Promise<JobView & { retriedItems: number }> {
    return this.control.retry(principal, id);
  }

  @Post('analyze')
  @HttpCode(200)
  @MinRole('member')
  @ApiOperation({
    summary:
      'Analyze one item now and wait for the result (from the cache when it can be); `mode: "instant"` answers within a deadline, provisionally, and queues the full analysis (202 when no provisional result could be made)',
  })
  async analyze(@CurrentPrincipal() principal: Principal, @Body() body: AnalyzeDto, @Res({ passthrough: true }) res: Response): Promise<AnalyzeResponse> {
    const { profile, input, ...options } = body;
    const answer = await this.analyzer.analyze(principal, profile, input, options);
    if (answer.provisional && answer.result === null) res.status(202);
    return answer;
  }

  @Get('analyze/callback-secret')
  @MinRole('admin')
  @ApiOperation({ summary: 'The secret instant-analysis callbacks are signed with (X-Margin-Signature: t=…,v1=HMAC-SHA256(secret, "t.body"))' })
  callbackSecret(@CurrentPrincipal() principal: Principal): Promise<{ secret: string; rotatedAt: string }> {
    return this.callbackSecrets.get(principal.tenantId);
  }

  @Post('analyze/callback-secret/rotate')
  @HttpCode(200)
  @MinRole('admin')
  @ApiOperation({ summary: 'A new callback signing secret (the old one stops signing at once)' })
  rotateCallbackSecret(@CurrentPrincipal() principal: Principal): Promise<{ secret: string; rotatedAt: string }> {
    return this.callbackSecrets.rotate(principal.tenantId);
  }
}
