import { BadRequestException } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ANALYZE_MODES,
  CACHE_SCOPES,
  ITEM_STATUSES,
  type AnalyzeMode,
  JOB_STATUSES,
  PRIORITIES,
  type CacheScope,
  type ItemStatus,
  type JobStatus,
  type Priority,
} from '@margin/contracts';
import { SafeValidationPipe } from '@margin/core';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';

export const MAX_ITEMS_PER_JOB = 100_000;
/** The longest patience a job or tenant may ask for: 30 days. */
export const MAX_WAIT_SECONDS_LIMIT = 30 * 86_400;

const PROFILE_REF = /^[a-z0-9][a-z0-9-]{0,99}(@\d+)?$/;
const PROFILE_REF_MESSAGE = 'profile must be a profile key like song-analysis (optionally @version)';

/** Whether a value can name a profile (the DTO's rule), so that it is worth looking up. */
export const isProfileRef = (value: unknown): value is string => typeof value === 'string' && PROFILE_REF.test(value);

const parseJson = ({ value }: { value: unknown }) => {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value; // left as a string: @IsObject reports it
  }
};

/** A blog-post job's `publish` option: each finished item becomes a post published to these endpoints. */
export class JobPublishDto {
  @ApiProperty({ type: [String], format: 'uuid', description: 'Publishing endpoints of the tenant (enabled)' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @ArrayUnique()
  @IsUUID('all', { each: true })
  endpointIds!: string[];

  @ApiPropertyOptional({ example: '2026-12-24T09:00:00Z', description: 'Publish at this time (the platform schedules it where it can)' })
  @IsOptional()
  @IsISO8601({ strict: true })
  scheduledAt?: string;
}

/** POST /jobs and /jobs/estimate, as JSON or as multipart fields next to a CSV/JSON `file`. */
export class SubmitJobDto {
  @ApiProperty({ example: 'song-analysis', description: 'A profile key, optionally with @version' })
  @IsString()
  @Matches(PROFILE_REF, { message: PROFILE_REF_MESSAGE })
  profile!: string;

  @ApiPropertyOptional({ example: "Grace's liked songs" })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ enum: [...PRIORITIES, 'auto'], default: 'auto' })
  @IsOptional()
  @IsIn([...PRIORITIES, 'auto'])
  priority?: Priority | 'auto';

  @ApiPropertyOptional({ example: 2.5, description: 'The most this job may spend, in USD' })
  @IsOptional()
  @Type(() => Number)
  @IsNumber({ maxDecimalPlaces: 6, allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1_000_000)
  budgetUsd?: number;

  @ApiPropertyOptional({
    example: 86400,
    description:
      "How long items may wait for model providers to come back (outages, rate limits) before they fail, in seconds; default: the tenant's (GET /api/v1/job-settings)",
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_WAIT_SECONDS_LIMIT)
  maxWaitSeconds?: number;

  @ApiPropertyOptional({
    enum: CACHE_SCOPES,
    description:
      "Where results are cached and looked up. `global` (the default for public content such as songs) shares the content-hash cache between tenants; `tenant` keeps this job's items to its own tenant, for private inputs. Default: the profile's scope; a profile cached per tenant cannot be made global.",
  })
  @IsOptional()
  @IsIn(CACHE_SCOPES)
  cacheScope?: CacheScope;

  @ApiPropertyOptional({
    example: '2026-12-03T12:00:00Z',
    description:
      "When the results are needed by (ISO time). A deadline far enough away lets eligible calls go through the providers' batch APIs at batch prices (docs/batch-tier.md); must be in the future",
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  deadline?: string;

  @ApiPropertyOptional({
    example: true,
    description: "The job may wait for the providers' batch tier (half price, results within 24 h); default: the tenant's (GET /api/v1/job-settings)",
  })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  deferrable?: boolean;

  @ApiPropertyOptional({ type: 'array', items: { type: 'object' }, description: "Each item is the profile's input" })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_ITEMS_PER_JOB)
  @IsObject({ each: true })
  items?: Array<Record<string, unknown>>;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @Transform(parseJson)
  @IsObject()
  metadata?: Record<string, unknown>;

  @ApiPropertyOptional({ type: JobPublishDto, description: '`blog-post` jobs only: publish each finished item as a post to these endpoints' })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => JobPublishDto)
  publish?: JobPublishDto;
}

export class ListJobsQueryDto {
  @ApiPropertyOptional({ enum: JOB_STATUSES }) @IsOptional() @IsIn(JOB_STATUSES) status?: JobStatus;
  @ApiPropertyOptional({ default: 20, maximum: 100 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(100) limit?: number;
  @ApiPropertyOptional() @IsOptional() @IsString() cursor?: string;
}

export class ListItemsQueryDto {
  @ApiPropertyOptional({ enum: ITEM_STATUSES }) @IsOptional() @IsIn(ITEM_STATUSES) status?: ItemStatus;
  @ApiPropertyOptional({ default: 50, maximum: 500 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500) limit?: number;
  @ApiPropertyOptional({ description: 'The last index of the previous page' }) @IsOptional() @Type(() => Number) @IsInt() @Min(-1) cursor?: number;
}

export class ResultsQueryDto {
  @ApiPropertyOptional({ enum: ['json', 'jsonl', 'csv'], default: 'json' }) @IsOptional() @IsIn(['json', 'jsonl', 'csv']) format?: 'json' | 'jsonl' | 'csv';
}

export class AnalyzeDto {
  @ApiProperty({ example: 'song-analysis' })
  @IsString()
  @Matches(/^[a-z0-9][a-z0-9-]{0,99}(@\d+)?$/, { message: 'profile must be a profile key like song-analysis (optionally @version)' })
  profile!: string;

  @ApiProperty({ type: 'object', additionalProperties: true })
  @IsObject()
  input!: Record<string, unknown>;

  @ApiPropertyOptional({ enum: CACHE_SCOPES, description: 'As for jobs: `tenant` keeps this input and its result out of the cache shared between tenants' })
  @IsOptional()
  @IsIn(CACHE_SCOPES)
  cacheScope?: CacheScope;

  @ApiPropertyOptional({
    enum: ANALYZE_MODES,
    default: 'wait',
    description: '`instant`: a cache miss is answered within `deadlineMs` (provisionally, `provisional: true`) while the full analysis is queued',
  })
  @IsOptional()
  @IsIn(ANALYZE_MODES)
  mode?: AnalyzeMode;

  @ApiPropertyOptional({ minimum: 50, maximum: 10_000, default: 2_000, description: '`instant` only: the most the answer may take, in ms' })
  @IsOptional()
  @IsInt()
  @Min(50)
  @Max(10_000)
  deadlineMs?: number;

  @ApiPropertyOptional({ description: '`instant` only: the full result is POSTed here, signed (X-Margin-Signature), once it is in' })
  @IsOptional()
  @IsString()
  @MaxLength(2_000)
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false }, { message: 'callbackUrl must be an http(s) URL' })
  callbackUrl?: string;
}

/** The global pipe's rules, for a body the controller reads itself (streamed JSON, multipart fields). */
const FIELDS_PIPE = new SafeValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true });

/**
 * Validates a submission's fields other than `items` as the global ValidationPipe would, adding what is wrong
 * with `items` as a whole (its elements are checked one by one as they stream): one 400 listing everything.
 */
export async function checkSubmitFields(
  fields: Record<string, unknown>,
  items: { notArray: boolean; tooMany: boolean; nonObject: boolean },
): Promise<SubmitJobDto> {
  const itemProblems = [
    ...(items.notArray ? ['items must be an array'] : []),
    ...(items.tooMany ? [`items must contain no more than ${MAX_ITEMS_PER_JOB} elements`] : []),
    ...(items.nonObject || items.notArray ? ['each value in items must be an object'] : []),
  ];
  let dto: SubmitJobDto;
  try {
    dto = (await FIELDS_PIPE.transform({ ...fields }, { type: 'body', metatype: SubmitJobDto })) as SubmitJobDto;
  } catch (err) {
    if (!(err instanceof BadRequestException) || !itemProblems.length) throw err;
    const message = (err.getResponse() as { message?: unknown }).message;
    throw new BadRequestException([...(Array.isArray(message) ? (message as string[]) : [String(message)]), ...itemProblems]);
  }
  if (itemProblems.length) throw new BadRequestException(itemProblems);
  return dto;
}
