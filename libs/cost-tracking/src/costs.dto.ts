import { IsSupportedTime } from '@margin/core';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { COST_GROUP_BY, type CostGroupBy, type UpdateBudgetRequest } from '@margin/contracts';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsInt, IsISO8601, IsNumber, IsOptional, IsString, IsUUID, Max, Min, ValidateIf } from 'class-validator';

export class CostSummaryQueryDto {
  @ApiPropertyOptional({ format: 'date-time', description: 'Default: start of this month (UTC)' })
  @IsOptional()
  @IsISO8601({ strict: true })
  @IsSupportedTime()
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Exclusive; default: now' })
  @IsOptional()
  @IsISO8601({ strict: true })
  @IsSupportedTime()
  to?: string;

  @ApiPropertyOptional({ enum: COST_GROUP_BY, default: 'model' })
  @IsOptional()
  @IsIn(COST_GROUP_BY)
  groupBy?: CostGroupBy;
}

export class CostCallsQueryDto {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  jobId?: string;

  @ApiPropertyOptional({ default: 50, maximum: 500 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  cursor?: string;
}

export class UpdateBudgetDto implements UpdateBudgetRequest {
  @ApiProperty({ nullable: true, type: Number, example: 50, description: 'USD per calendar month (UTC); null for none' })
  @ValidateIf((_o, v) => v !== null)
  @IsNumber({ maxDecimalPlaces: 6, allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1_000_000)
  monthlyLimitUsd!: number | null;

  @ApiPropertyOptional({ type: [Number], example: [0.5, 0.8, 1] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @IsNumber({ maxDecimalPlaces: 4 }, { each: true })
  @Min(0.01, { each: true })
  @Max(10, { each: true })
  alertThresholds?: number[];

  @ApiPropertyOptional({ description: 'Refuse calls whose worst case would pass the limit (429)' })
  @IsOptional()
  @IsBoolean()
  hardStop?: boolean;
}
