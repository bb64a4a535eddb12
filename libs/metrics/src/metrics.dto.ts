import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ALERT_KINDS,
  TIMESERIES_GRANULARITIES,
  TIMESERIES_METRICS,
  type CreateRevenueRequest,
  type TimeseriesGranularity,
  type TimeseriesMetric,
} from '@margin/contracts';
import { IsSupportedTime } from '@margin/core';
import { Type } from 'class-transformer';
import { Allow, ArrayMaxSize, IsArray, IsIn, IsInt, IsISO8601, IsNumber, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min } from 'class-validator';

export class RangeQueryDto {
  @ApiPropertyOptional({ format: 'date-time', description: 'Default: start of this month (UTC), as GET /costs/summary' })
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

export class TimeseriesQueryDto extends RangeQueryDto {
  @ApiProperty({ enum: TIMESERIES_METRICS })
  @IsIn(TIMESERIES_METRICS)
  metric!: TimeseriesMetric;

  @ApiPropertyOptional({ enum: TIMESERIES_GRANULARITIES, default: 'day' })
  @IsOptional()
  @IsIn(TIMESERIES_GRANULARITIES)
  granularity?: TimeseriesGranularity;
}

export class CreateRevenueDto implements CreateRevenueRequest {
  @ApiProperty({ example: 49.9, description: 'USD, at most 6 decimals; negative for a refund; never 0' })
  @IsNumber({ maxDecimalPlaces: 6, allowNaN: false, allowInfinity: false })
  @Min(-1_000_000_000)
  @Max(1_000_000_000)
  amountUsd!: number;

  @ApiProperty({ format: 'date-time' })
  @IsISO8601({ strict: true })
  @IsSupportedTime()
  occurredAt!: string;

  @ApiProperty({ example: 'manual', description: 'Where the money came from: lowercase letters, digits, _.-' })
  @IsString()
  @Matches(/^[a-z0-9][a-z0-9_.-]{0,63}$/, { message: 'source must be 1-64 lowercase letters, digits, or _.-' })
  source!: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  postId?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  jobId?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  note?: string;

  @ApiPropertyOptional({ description: 'Your id for this entry: the same source + externalId is booked once (409 the second time)' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  externalId?: string;
}

export class RevenueListQueryDto {
  @ApiPropertyOptional({ default: 100, maximum: 500 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

export class RevenueImportQueryDto {
  @ApiPropertyOptional({ default: 'csv', description: 'The source of rows without a source column' })
  @IsOptional()
  @Matches(/^[a-z0-9][a-z0-9_.-]{0,63}$/, { message: 'source must be 1-64 lowercase letters, digits, or _.-' })
  source?: string;
}

export class AlertsQueryDto {
  @ApiPropertyOptional({ enum: ['firing', 'resolved'] })
  @IsOptional()
  @IsIn(['firing', 'resolved'])
  state?: 'firing' | 'resolved';

  @ApiPropertyOptional({ default: 100, maximum: 500 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

/** PUT /alerts/rules: the rules are checked by the service (each problem named rules.<i>.<field>). */
export class PutAlertRulesDto {
  @ApiProperty({
    description: `[{id, kind: ${ALERT_KINDS.join('|')}, enabled?, threshold, windowMinutes?, queue?, model?}]`,
    example: [{ id: 'queue-backlog', kind: 'queue_depth', threshold: 1000 }],
  })
  @IsArray()
  @ArrayMaxSize(50)
  rules!: unknown[];

  @ApiPropertyOptional({ nullable: true, description: '{url, secret?, format?: "margin"|"slack"}; null removes it; omitted keeps it' })
  @Allow()
  webhook?: { url?: unknown; secret?: unknown; format?: unknown } | null;
}
