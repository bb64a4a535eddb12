import { IsSupportedTime } from '@margin/core';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { MODEL_TIERS, type ModelPriceView, type ModelTier, type ModelView, type RegisterModelRequest, type UpdateModelRequest } from '@margin/contracts';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';

const USD = { maxDecimalPlaces: 6, allowNaN: false, allowInfinity: false };

export class ModelPriceInputDto {
  @ApiProperty({ example: 0.15, description: 'USD per million input tokens' })
  @IsNumber(USD)
  @Min(0)
  @Max(100_000)
  inputPerMTok!: number;

  @ApiPropertyOptional({ example: 0.075, description: 'USD per million cached input tokens (default: the input price)' })
  @IsOptional()
  @IsNumber(USD)
  @Min(0)
  @Max(100_000)
  cachedInputPerMTok?: number;

  @ApiProperty({ example: 0.6, description: 'USD per million output tokens (reasoning tokens included)' })
  @IsNumber(USD)
  @Min(0)
  @Max(100_000)
  outputPerMTok!: number;

  @ApiPropertyOptional({ format: 'date-time', description: 'When it takes effect (default now; never in the past)' })
  @IsOptional()
  @IsISO8601({ strict: true })
  @IsSupportedTime()
  effectiveFrom?: string;
}

export class UpdateModelDto implements UpdateModelRequest {
  @ApiPropertyOptional({ enum: MODEL_TIERS })
  @IsOptional()
  @IsIn(MODEL_TIERS)
  tier?: ModelTier;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional()
  @IsOptional()
  @IsInt()
  @Min(256)
  @Max(100_000_000)
  contextWindow?: number;

  @ApiPropertyOptional({ nullable: true, type: Number, description: 'Local models: USD per GPU-hour to amortize (null: $0)' })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsNumber(USD)
  @Min(0)
  @Max(10_000)
  gpuUsdPerHour?: number | null;

  @ApiPropertyOptional()
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1024)
  parallelSlots?: number;

  @ApiPropertyOptional({ nullable: true, type: Number, description: 'Requests per minute across all workers (null: no limit)' })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsInt()
  @Min(1)
  rpm?: number | null;

  @ApiPropertyOptional({ nullable: true, type: Number, description: 'Tokens per minute across all workers (null: no limit)' })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsInt()
  @Min(1)
  tpm?: number | null;

  @ApiPropertyOptional({ nullable: true, type: Number, description: 'Requests in flight at once (null: no limit)' })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsInt()
  @Min(1)
  maxConcurrency?: number | null;

  @ApiPropertyOptional({ type: ModelPriceInputDto })
  @IsOptional()
  // ValidateNested alone lets an array through (it validates its elements instead): [[]] would pass
  @IsObject()
  @ValidateNested()
  @Type(() => ModelPriceInputDto)
  price?: ModelPriceInputDto;
}

export class FineTunedPriceDto {
  @ApiProperty({ example: 0.3, description: 'USD per million input tokens' })
  @IsNumber(USD)
  @Min(0)
  @Max(100_000)
  inputPerMTok!: number;

  @ApiPropertyOptional({ example: 0.15, description: 'USD per million cached input tokens (default: the input price)' })
  @IsOptional()
  @IsNumber(USD)
  @Min(0)
  @Max(100_000)
  cachedInputPerMTok?: number;

  @ApiProperty({ example: 1.2, description: 'USD per million output tokens' })
  @IsNumber(USD)
  @Min(0)
  @Max(100_000)
  outputPerMTok!: number;
}

export class RegisterModelDto implements RegisterModelRequest {
  @ApiProperty({ example: 'openai/gpt-4o-mini', description: 'The catalog model it was fine-tuned from' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  baseModel!: string;

  @ApiProperty({
    example: 'ft:gpt-4o-mini-2024-07-18:acme:songs:AbC123',
    description: 'The name its provider serves it by: an OpenAI `ft:` id, or an Ollama model name such as `qwen3-songs:8b`',
  })
  @IsString()
  @MinLength(1)
  @MaxLength(150)
  name!: string;

  @ApiPropertyOptional({ enum: MODEL_TIERS, description: "Default: the base's" })
  @IsOptional()
  @IsIn(MODEL_TIERS)
  tier?: ModelTier;

  @ApiPropertyOptional({ description: "Default: the base's" })
  @IsOptional()
  @IsInt()
  @Min(256)
  @Max(100_000_000)
  contextWindow?: number;

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ type: FineTunedPriceDto, description: "In force from now; default: the base's price in force now" })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => FineTunedPriceDto)
  price?: FineTunedPriceDto;
}

export class ModelPriceDto implements ModelPriceView {
  @ApiProperty() inputPerMTok!: number;
  @ApiProperty() cachedInputPerMTok!: number;
  @ApiProperty() outputPerMTok!: number;
  @ApiProperty({ format: 'date-time' }) effectiveFrom!: string;
}

export class ModelDto implements ModelView {
  @ApiProperty({ example: 'openai/gpt-4o-mini' }) id!: string;
  @ApiProperty() providerId!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: MODEL_TIERS }) tier!: ModelTier;
  @ApiProperty() contextWindow!: number;
  @ApiProperty({ type: [String] }) capabilities!: string[];
  @ApiProperty() enabled!: boolean;
  @ApiProperty({ nullable: true, type: Number }) gpuUsdPerHour!: number | null;
  @ApiProperty() parallelSlots!: number;
  @ApiProperty({ nullable: true, type: Number }) rpm!: number | null;
  @ApiProperty({ nullable: true, type: Number }) tpm!: number | null;
  @ApiProperty({ nullable: true, type: Number }) maxConcurrency!: number | null;
  @ApiProperty({ type: ModelPriceDto, nullable: true }) price!: ModelPriceDto | null;
  @ApiProperty({ type: [ModelPriceDto] }) priceHistory!: ModelPriceDto[];
  @ApiProperty({ nullable: true, type: String, description: "A fine-tuned model's base; null for a base model" }) baseModel!: string | null;
}
