import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { COMPLEXITIES, type Complexity, type PolicyCell, type RouteRequest, type UpdatePolicyRequest } from '@margin/contracts';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsNumber, IsObject, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';

const OPERATION = /^[a-z][a-z0-9_-]{0,49}$/;

export class AbTestDto {
  @ApiProperty({ example: 'openai/gpt-4.1-mini' }) @IsString() @MaxLength(200) challenger!: string;
  @ApiProperty({ example: 0.1, description: 'Share of traffic (0..1) sent to the challenger first' }) @IsNumber() @Min(0) @Max(1) share!: number;
}

export class PolicyCellDto implements PolicyCell {
  @ApiProperty({ example: 'draft' }) @Matches(OPERATION, { message: 'operation must be lowercase letters, digits, _ or - (at most 50)' }) operation!: string;
  @ApiProperty({ enum: COMPLEXITIES }) @IsIn(COMPLEXITIES) complexity!: Complexity;
  @ApiProperty({ type: [String], example: ['ollama/qwen3:8b', 'openai/gpt-4o-mini'], description: 'Model ids in order; empty removes a tenant override' })
  @IsArray()
  @ArrayMaxSize(10)
  @IsString({ each: true })
  candidates!: string[];
  @ApiPropertyOptional({ type: AbTestDto, nullable: true }) @IsOptional() @IsObject() @ValidateNested() @Type(() => AbTestDto) abTest?: AbTestDto | null;
}

export class UpdatePolicyDto implements UpdatePolicyRequest {
  @ApiProperty({ enum: ['global', 'tenant'] }) @IsIn(['global', 'tenant']) scope!: 'global' | 'tenant';
  // IsObject({each}): ValidateNested alone takes [[…]] (it validates the inner array's elements), a 500 later
  @ApiProperty({ type: [PolicyCellDto] })
  @IsArray()
  @ArrayMaxSize(200)
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => PolicyCellDto)
  cells!: PolicyCellDto[];
}

export class RouteRequestDto implements RouteRequest {
  @ApiProperty({ example: 'draft' }) @Matches(OPERATION, { message: 'operation must be lowercase letters, digits, _ or - (at most 50)' }) operation!: string;
  @ApiPropertyOptional({ enum: COMPLEXITIES, default: 'medium' }) @IsOptional() @IsIn(COMPLEXITIES) complexity?: Complexity;
  @ApiPropertyOptional({ default: 1000 }) @IsOptional() @IsInt() @Min(0) @Max(10_000_000) inputTokens?: number;
  @ApiPropertyOptional({ default: 1024 }) @IsOptional() @IsInt() @Min(1) @Max(1_000_000) maxTokens?: number;
  @ApiPropertyOptional({ description: 'The most this call may cost, in USD', maximum: 1_000_000 })
  @IsOptional()
  @IsNumber({ maxDecimalPlaces: 6 })
  @Min(0)
  @Max(1_000_000)
  budgetUsd?: number;
}
