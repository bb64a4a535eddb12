import { Body, Controller, Get, Param, ParseEnumPipe, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiPropertyOptional, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { MODEL_TIERS, PLANS, type ModelTier, type Plan, type PlanLimits } from '@margin/contracts';
import { MinRole, OperatorOnly } from '@margin/identity';
import { ArrayMinSize, IsArray, IsIn, IsInt, IsOptional, Max, Min, ValidateIf } from 'class-validator';
import { QuotaService } from './quota.service';

export class UpdatePlanDto {
  @ApiPropertyOptional({ nullable: true, type: Number }) @IsOptional() @ValidateIf((_o, v) => v !== null) @IsInt() @Min(0) maxJobsPerMonth?: number | null;
  @ApiPropertyOptional({ nullable: true, type: Number }) @IsOptional() @ValidateIf((_o, v) => v !== null) @IsInt() @Min(0) maxItemsPerMonth?: number | null;
  @ApiPropertyOptional({ nullable: true, type: Number }) @IsOptional() @ValidateIf((_o, v) => v !== null) @IsInt() @Min(0) maxItemsPerJob?: number | null;
  @ApiPropertyOptional({ enum: MODEL_TIERS, isArray: true })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @IsIn(MODEL_TIERS, { each: true })
  allowedTiers?: ModelTier[];
  @ApiPropertyOptional({
    minimum: 1,
    maximum: 1000,
    description: 'Turns in the round-robin between tenants of one priority (a weight of 2 gets twice the turns of 1)',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000)
  fairShareWeight?: number;
  @ApiPropertyOptional({
    nullable: true,
    type: Number,
    minimum: 1,
    maximum: 1_000_000,
    description: 'Items of one tenant in the queue or running at once (null: no cap)',
  })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  maxRunningItems?: number | null;
}

@ApiTags('plans')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('plans')
export class PlansController {
  constructor(private readonly quotas: QuotaService) {}

  @Get()
  @ApiOperation({ summary: 'Each plan’s limits (null: unlimited)' })
  list(): Promise<PlanLimits[]> {
    return this.quotas.list();
  }

  @Put(':plan')
  @MinRole('admin')
  @OperatorOnly()
  @ApiOperation({ summary: 'Change a plan’s limits (operator)' })
  update(@Param('plan', new ParseEnumPipe(PLANS)) plan: Plan, @Body() body: UpdatePlanDto): Promise<PlanLimits> {
    return this.quotas.update(plan, body);
  }
}
