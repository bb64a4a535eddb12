import { Body, Controller, Get, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { EvalRunView, EvalSetView } from '@margin/contracts';
import { CurrentPrincipal, MinRole, type Principal } from '@margin/identity';
import { IsUUID } from 'class-validator';
import { CreateEvalRunDto, CreateEvalSetDto } from '../training.dto';
import { EvalsService } from './evals.service';

class CompareRunsQueryDto {
  @ApiProperty({ format: 'uuid' }) @IsUUID() a!: string;
  @ApiProperty({ format: 'uuid' }) @IsUUID() b!: string;
}

@ApiTags('training')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('training/evals')
export class EvalsController {
  constructor(private readonly evals: EvalsService) {}

  @Post()
  @MinRole('member')
  @ApiOperation({ summary: 'An eval set: items {input, expected?} for a profile, or the records of a dataset' })
  create(@CurrentPrincipal() principal: Principal, @Body() body: CreateEvalSetDto): Promise<EvalSetView> {
    return this.evals.createSet(principal.tenantId, body);
  }

  @Get()
  @ApiOperation({ summary: "The tenant's eval sets and the built-in ones" })
  list(@CurrentPrincipal() principal: Principal): Promise<EvalSetView[]> {
    return this.evals.listSets(principal.tenantId);
  }

  @Get(':id')
  get(@CurrentPrincipal() principal: Principal, @Param('id', new ParseUUIDPipe()) id: string): Promise<EvalSetView> {
    return this.evals.getSet(principal.tenantId, id);
  }

  @Post(':id/runs')
  @MinRole('member')
  @ApiOperation({ summary: 'Run the set on a model (queued; through the executor: ledgered, rate-limited, budgeted) and score it' })
  run(@CurrentPrincipal() principal: Principal, @Param('id', new ParseUUIDPipe()) id: string, @Body() body: CreateEvalRunDto): Promise<EvalRunView> {
    return this.evals.createRun(principal.tenantId, id, body);
  }

  @Get(':id/runs')
  runs(@CurrentPrincipal() principal: Principal, @Param('id', new ParseUUIDPipe()) id: string): Promise<EvalRunView[]> {
    return this.evals.listRuns(principal.tenantId, id);
  }

  @Get(':id/compare')
  @ApiOperation({ summary: 'Two runs of the set side by side (?a=runId&b=runId)' })
  compare(@CurrentPrincipal() principal: Principal, @Param('id', new ParseUUIDPipe()) id: string, @Query() q: CompareRunsQueryDto): Promise<unknown> {
    return this.evals.compare(principal.tenantId, id, q.a, q.b);
  }

  @Get(':id/runs/:runId')
  @ApiOperation({ summary: 'A run: per-item and total quality, cost and latency' })
  getRun(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ParseUUIDPipe()) id: string,
    @Param('runId', new ParseUUIDPipe()) runId: string,
  ): Promise<EvalRunView> {
    return this.evals.getRun(principal.tenantId, id, runId);
  }
}
