import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { COMPLEXITIES, type CacheScope, type Complexity, type JsonSchema, type ProfileStepView, type ProfileView } from '@margin/contracts';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import type { ProfileStep, QualityGate } from '../../pipeline/pipeline.types';
import { MAX_ROUNDS, MAX_STEPS, OPERATION_PATTERN, PROFILE_KEY_PATTERN, STEP_NAME_PATTERN } from '../profile-validation';

export interface CreateProfileRequest {
  key: string;
  name: string;
  description?: string;
  inputSchema: JsonSchema;
  outputSchema?: JsonSchema;
  steps: ProfileStep[];
  qualityGate?: QualityGate;
  cacheScope?: CacheScope;
}

const MAX_TEMPLATE = 20_000;
const TEMPLATE_HELP =
  'Mustache-like template: {{input.<field>}}, {{steps.<earlier step>.<field>}}; {{#path}}…{{/path}} only when present, {{^path}}…{{/path}} only when absent. Objects and arrays render as JSON.';

export class ProfileStepDto implements ProfileStep {
  @ApiProperty({ example: 'summarize', description: 'Unique within the profile; later templates refer to steps.<name>' })
  @IsString()
  @Matches(STEP_NAME_PATTERN, { message: 'name must start with a letter and use only letters, digits, "_" and "-" (at most 64)' })
  name!: string;

  @ApiProperty({ example: 'analyze', description: 'The routing policy operation (analyze, research, outline, draft, assess, refine, …)' })
  @IsString()
  @Matches(OPERATION_PATTERN, { message: 'operation must be lowercase letters, digits, "_" and "-" (at most 50)' })
  operation!: string;

  @ApiProperty({ enum: COMPLEXITIES })
  @IsIn(COMPLEXITIES)
  complexity!: Complexity;

  @ApiPropertyOptional({ description: `System prompt. ${TEMPLATE_HELP}` })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_TEMPLATE)
  system?: string;

  @ApiProperty({ example: 'Summarize: {{input.text}}', description: `User prompt. ${TEMPLATE_HELP}` })
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_TEMPLATE)
  prompt!: string;

  @ApiProperty({ type: 'object', additionalProperties: true, description: "JSON Schema of the step's answer" })
  @IsObject()
  outputSchema!: JsonSchema;

  @ApiPropertyOptional({ default: 1024, minimum: 1, maximum: 32768 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(32_768)
  maxTokens?: number;
}

export class QualityGateDto implements QualityGate {
  @ApiProperty({ example: 'assess', description: 'The step that scores the output of the step right before it' })
  @IsString()
  assessStep!: string;

  @ApiProperty({ example: 'refine', description: 'Runs only below the threshold, one complexity tier up per round; its output replaces the assessed one' })
  @IsString()
  refineStep!: string;

  @ApiProperty({ example: 'overall', description: "Dotted path of the score in the assess step's output" })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  scoreField!: string;

  @ApiProperty({ example: 70 })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  threshold!: number;

  @ApiProperty({ example: 2, minimum: 0, maximum: MAX_ROUNDS })
  @IsInt()
  @Min(0)
  @Max(MAX_ROUNDS)
  maxRounds!: number;
}

export class CreateProfileDto implements CreateProfileRequest {
  @ApiProperty({ example: 'support-ticket-triage', description: 'Posting an existing key adds its next version' })
  @IsString()
  @Matches(PROFILE_KEY_PATTERN, { message: 'key must be lowercase letters, digits and hyphens (at most 100), starting and ending with a letter or digit' })
  key!: string;

  @ApiProperty({ example: 'Support ticket triage' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name!: string;

  @ApiPropertyOptional({ default: '' })
  @IsOptional()
  @IsString()
  @MaxLength(2_000)
  description?: string;

  @ApiProperty({ type: 'object', additionalProperties: true, description: 'JSON Schema (type "object" with properties) of one item' })
  @IsObject()
  inputSchema!: JsonSchema;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description:
      "JSON Schema of the result. Default: the last step's outputSchema (with a quality gate ending on the assess step: the content's schema plus scores and rounds)",
  })
  @IsOptional()
  @IsObject()
  outputSchema?: JsonSchema;

  @ApiProperty({ type: [ProfileStepDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_STEPS)
  // ValidateNested alone lets [[…]] through (it validates the inner array's elements)
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => ProfileStepDto)
  steps!: ProfileStepDto[];

  @ApiPropertyOptional({ type: QualityGateDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => QualityGateDto)
  qualityGate?: QualityGateDto;

  @ApiPropertyOptional({ enum: ['tenant'], default: 'tenant', description: "A tenant profile's results are cached for its tenant only" })
  @IsOptional()
  @IsIn(['global', 'tenant'])
  cacheScope?: CacheScope;
}

export class ProfileVersionQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 2_147_483_647, description: 'Default: the latest' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  // The column is a PostgreSQL integer: a larger number is no version, not a database error.
  @Max(2_147_483_647)
  version?: number;
}

export class ProfileStepViewDto implements ProfileStepView {
  @ApiProperty() name!: string;
  @ApiProperty() operation!: string;
  @ApiProperty({ enum: COMPLEXITIES }) complexity!: Complexity;
}

export class ProfileDto implements ProfileView {
  @ApiProperty({ example: 'song-analysis' }) key!: string;
  @ApiProperty({ example: 1 }) version!: number;
  @ApiProperty() name!: string;
  @ApiProperty() description!: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) inputSchema!: Record<string, unknown>;
  @ApiProperty({ type: 'object', additionalProperties: true }) outputSchema!: Record<string, unknown>;
  @ApiProperty({ type: [ProfileStepViewDto] }) steps!: ProfileStepViewDto[];
  @ApiProperty({ enum: ['global', 'tenant'] }) cacheScope!: CacheScope;
  @ApiProperty() builtIn!: boolean;
}
