import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsSupportedTime } from '@margin/core';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
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
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { MAX_PLAN_ITEMS } from './request-plans.service';

class BriefDto {
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(500) topic!: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MinLength(1) @MaxLength(300) audience?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MinLength(1) @MaxLength(100) tone?: string;
  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  keywords?: string[];
}

export class CreatePlanDto {
  @ApiPropertyOptional({ description: 'The request in words, e.g. "Create a blog post about AI safety for tech leads, auto-publish to our blog, under $0.50"' })
  @ValidateIf((o: CreatePlanDto) => o.profile === undefined || o.request !== undefined)
  @IsString({ message: 'request must be a sentence (or give profile with items or a brief)' })
  @MinLength(3)
  @MaxLength(2_000)
  request?: string;

  @ApiPropertyOptional({ example: 'blog-post' })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z0-9][a-z0-9-]{0,99}(@\d+)?$/, { message: 'profile must be a profile key like blog-post (optionally @version)' })
  profile?: string;

  @ApiPropertyOptional({ type: 'array', items: { type: 'object' } })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_PLAN_ITEMS)
  @IsObject({ each: true })
  items?: Array<Record<string, unknown>>;

  @ApiPropertyOptional({ type: BriefDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => BriefDto)
  brief?: BriefDto;

  @ApiPropertyOptional({ minimum: 0 }) @IsOptional() @IsNumber({ maxDecimalPlaces: 6 }) @Min(0) @Max(1_000_000) budgetUsd?: number;
  @ApiPropertyOptional({ format: 'date-time' }) @IsOptional() @IsISO8601({ strict: true }) @IsSupportedTime() deadline?: string;

  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsUUID('all', { each: true })
  endpointIds?: string[];
}

class StepModelDto {
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(100) step!: string;
  @ApiProperty({ nullable: true, type: String }) @ValidateIf((_o, v) => v !== null) @IsString() @MinLength(1) @MaxLength(200) model!: string | null;
}

export class PatchPlanDto {
  @ApiPropertyOptional({ nullable: true, type: Number })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsNumber({ maxDecimalPlaces: 6 })
  @Min(0)
  @Max(1_000_000)
  budgetUsd?: number | null;

  @ApiPropertyOptional({ nullable: true, format: 'date-time', type: String })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsISO8601({ strict: true })
  @IsSupportedTime()
  deadline?: string | null;

  @ApiPropertyOptional({ type: [StepModelDto] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => StepModelDto)
  steps?: StepModelDto[];

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' }, description: "Answers to the plan's questions, by their `field`" })
  @IsOptional()
  @IsObject()
  answers?: Record<string, string>;
}

export class ListPlansQuery {
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(100) limit?: number;
}
