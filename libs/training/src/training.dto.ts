import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  COMPLEXITIES,
  EXAMPLE_SOURCES,
  type Complexity,
  EXPORT_FORMATS,
  type ExampleSource,
  type ExportFormat,
  type FeedbackRequest,
  PROMOTION_MODES,
  type PromotionMode,
  type UpdateTrainingSettingsRequest,
} from '@margin/contracts';
import { IsSupportedTime } from '@margin/core';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsDefined,
  IsIn,
  IsInt,
  IsISO8601,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import type { ExampleFilters } from './examples/examples.repository';

/** `true`/`false` in a query string. */
const queryBoolean = ({ value }: { value: unknown }): unknown => (value === 'true' ? true : value === 'false' ? false : value);

const KEY = /^[a-z0-9][a-z0-9_-]{0,99}$/;

export class FeedbackDto implements FeedbackRequest {
  @ApiProperty({ minimum: 1, maximum: 5 })
  @IsInt()
  @Min(1)
  @Max(5)
  rating!: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  approved?: boolean;

  @ApiPropertyOptional({ description: "The corrected output, valid against the profile's output schema (or the step's, with `step`)" })
  @IsOptional()
  @IsDefined()
  edits?: unknown;

  @ApiPropertyOptional({ maxLength: 4000 })
  @IsOptional()
  @IsString()
  @MaxLength(4000)
  comment?: string;

  @ApiPropertyOptional({ description: "Correct this step's answer instead of the item's output" })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  step?: string;
}

/** The filters examples, exports and datasets share. */
export class ExampleFiltersDto {
  @ApiPropertyOptional({ description: 'Profile key' })
  @IsOptional()
  @Matches(KEY, { message: 'profile must be a profile key like song-analysis' })
  profile?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @Matches(KEY, { message: 'operation must be an operation name like analyze' })
  operation?: string;

  @ApiPropertyOptional({ enum: EXAMPLE_SOURCES })
  @IsOptional()
  @IsIn(EXAMPLE_SOURCES)
  source?: ExampleSource;

  @ApiPropertyOptional({ description: 'Model id, e.g. ollama/qwen3:8b' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  model?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  jobId?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  itemId?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 5, description: 'Only examples whose item was rated at least this' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(5)
  minRating?: number;

  @ApiPropertyOptional({ description: 'Only examples whose item was approved' })
  @IsOptional()
  @Transform(queryBoolean)
  @IsBoolean()
  approvedOnly?: boolean;

  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional()
  @IsISO8601({ strict: true })
  @IsSupportedTime()
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Exclusive' })
  @IsOptional()
  @IsISO8601({ strict: true })
  @IsSupportedTime()
  to?: string;
}

export function filtersOf(q: ExampleFiltersDto): ExampleFilters {
  return {
    profileKey: q.profile,
    operation: q.operation,
    source: q.source,
    model: q.model,
    jobId: q.jobId,
    itemId: q.itemId,
    minRating: q.minRating,
    approvedOnly: q.approvedOnly,
    from: q.from ? new Date(q.from) : undefined,
    to: q.to ? new Date(q.to) : undefined,
  };
}

export class ListExamplesQueryDto extends ExampleFiltersDto {
  @ApiPropertyOptional({ default: 50, maximum: 200 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}

export class ExportQueryDto extends ExampleFiltersDto {
  @ApiProperty({ enum: EXPORT_FORMATS })
  @IsIn(EXPORT_FORMATS)
  format!: ExportFormat;

  @ApiPropertyOptional({ default: false, description: 'One example per input (the best rated)' })
  @IsOptional()
  @Transform(queryBoolean)
  @IsBoolean()
  dedupe?: boolean;

  @ApiPropertyOptional({ minimum: 0.01, maximum: 0.99, example: 0.9, description: 'Share of examples in the train part (by input hash)' })
  @IsOptional()
  @Type(() => Number)
  @IsNumber({ maxDecimalPlaces: 4 })
  @Min(0.01)
  @Max(0.99)
  split?: number;

  @ApiPropertyOptional({ enum: ['train', 'validation'], description: 'With split: which part; without: the answer links both' })
  @IsOptional()
  @IsIn(['train', 'validation'])
  part?: 'train' | 'validation';
}

export class TrainingSettingsDto implements UpdateTrainingSettingsRequest {
  @ApiPropertyOptional({ description: "Record the tenant's calls as training examples" })
  @IsOptional()
  @IsBoolean()
  recordExamples?: boolean;

  @ApiPropertyOptional({ minimum: 1, maximum: 3650 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(3650)
  retentionDays?: number;

  @ApiPropertyOptional({ enum: PROMOTION_MODES, description: 'What the scheduled promotion rule does when met: nothing, propose (one click), or act' })
  @IsOptional()
  @IsIn(PROMOTION_MODES)
  promotionMode?: PromotionMode;

  @ApiPropertyOptional({ minimum: 1, maximum: 100_000, description: 'Judged (or rated) answers each arm needs' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100_000)
  promotionMinJudged?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 100, description: 'Quality points (0–100) the challenger may be below the incumbent' })
  @IsOptional()
  @IsNumber({ maxDecimalPlaces: 2, allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(100)
  promotionMargin?: number;
}

export class DatasetFiltersDto {
  @IsOptional() @Matches(KEY, { message: 'filters.profile must be a profile key like song-analysis' }) profile?: string;
  @IsOptional() @Matches(KEY, { message: 'filters.operation must be an operation name like analyze' }) operation?: string;
  @IsOptional() @IsIn(EXAMPLE_SOURCES) source?: ExampleSource;
  @IsOptional() @IsString() @MaxLength(200) model?: string;
  @IsOptional() @IsUUID() jobId?: string;
  @IsOptional() @IsUUID() itemId?: string;
  @IsOptional() @IsInt() @Min(1) @Max(5) minRating?: number;
  @IsOptional() @IsBoolean() approvedOnly?: boolean;
  @IsOptional() @IsISO8601({ strict: true }) @IsSupportedTime() from?: string;
  @IsOptional() @IsISO8601({ strict: true }) @IsSupportedTime() to?: string;
}

export class CreateDatasetDto {
  @ApiProperty({ example: 'songs-approved' })
  @Matches(KEY, { message: 'name must be lowercase letters, digits, - and _ (at most 100)' })
  name!: string;

  @ApiPropertyOptional({ enum: EXPORT_FORMATS, default: 'openai-jsonl' })
  @IsOptional()
  @IsIn(EXPORT_FORMATS)
  format?: ExportFormat;

  @ApiPropertyOptional({ type: Object })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => DatasetFiltersDto)
  filters?: DatasetFiltersDto;

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean()
  dedupe?: boolean;
}

export class EvalItemDto {
  @ApiProperty({ type: Object })
  @IsObject()
  input!: Record<string, unknown>;

  @ApiPropertyOptional({ type: Object })
  @IsOptional()
  @IsDefined()
  expected?: unknown;
}

export class CreateEvalSetDto {
  @ApiProperty()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name!: string;

  @ApiProperty({ example: 'song-analysis' })
  @Matches(KEY, { message: 'profile must be a profile key like song-analysis' })
  profile!: string;

  @ApiPropertyOptional({ type: [EvalItemDto], description: 'The items, or `datasetId`' })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @ValidateNested({ each: true })
  @Type(() => EvalItemDto)
  items?: EvalItemDto[];

  @ApiPropertyOptional({ format: 'uuid', description: "A dataset whose examples' item inputs become the eval items" })
  @IsOptional()
  @IsUUID()
  datasetId?: string;
}

export class CreateEvalRunDto {
  @ApiProperty({ example: 'ollama/qwen3:8b' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  model!: string;

  @ApiPropertyOptional({ description: 'The quality-assessment judge for items without `expected` (default: the policy)' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  judgeModel?: string;
}

export class AbReportQueryDto {
  @ApiPropertyOptional({ format: 'date-time', description: 'Default: 30 days before `to`' })
  @IsOptional()
  @IsISO8601({ strict: true })
  @IsSupportedTime()
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Exclusive; default: now' })
  @IsOptional()
  @IsISO8601({ strict: true })
  @IsSupportedTime()
  to?: string;
}

export class EvaluatePromotionDto {
  @ApiProperty({ example: 'analyze' })
  @Matches(KEY, { message: 'operation must be an operation name like analyze' })
  operation!: string;

  @ApiProperty({ enum: COMPLEXITIES })
  @IsIn(COMPLEXITIES)
  complexity!: Complexity;

  @ApiPropertyOptional({ description: "Judged answers each arm needs (default: the tenant's promotionMinJudged, 20 unless set)" })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100_000)
  minJudged?: number;

  @ApiPropertyOptional({
    description: "Quality points (0–100) the challenger may be below the incumbent (default: the tenant's promotionMargin, 5 unless set)",
  })
  @IsOptional()
  @IsNumber({ maxDecimalPlaces: 2 })
  @Min(0)
  @Max(100)
  margin?: number;

  @ApiPropertyOptional({ default: false, description: 'Apply a promotion to the policy (else only propose it)' })
  @IsOptional()
  @IsBoolean()
  apply?: boolean;
}
