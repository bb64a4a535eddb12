import { Body, Controller, Get, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { BudgetView, CostSummary, LlmCallView, Page } from '@margin/contracts';
import { CurrentPrincipal, MinRole, type Principal } from '@margin/identity';
import { BudgetService } from './budgets/budget.service';
import { CostCallsQueryDto, CostSummaryQueryDto, UpdateBudgetDto } from './costs.dto';
import { LedgerService } from './ledger/ledger.service';

@ApiTags('costs')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller()
export class CostsController {
  constructor(
    private readonly ledger: LedgerService,
    private readonly budgets: BudgetService,
  ) {}

  @Get('costs/summary')
  @ApiOperation({ summary: 'Spend, tokens and savings over a period, grouped by provider, model, operation, day or job' })
  @ApiOkResponse({ description: '{totalUsd, savedUsd, calls, inputTokens, outputTokens, rows:[{key, calls, inputTokens, outputTokens, costUsd}]}' })
  summary(@CurrentPrincipal() principal: Principal, @Query() q: CostSummaryQueryDto): Promise<CostSummary> {
    return this.ledger.summary(principal.tenantId, { from: q.from ? new Date(q.from) : undefined, to: q.to ? new Date(q.to) : undefined, groupBy: q.groupBy });
  }

  @Get('costs/calls')
  @ApiOperation({ summary: 'The cost ledger: one row per provider attempt, newest first' })
  @ApiOkResponse({ description: '{data:[call], nextCursor}' })
  calls(@CurrentPrincipal() principal: Principal, @Query() q: CostCallsQueryDto): Promise<Page<LlmCallView>> {
    return this.ledger.calls(principal.tenantId, q);
  }

  @Get('budget')
  @ApiOperation({ summary: "This month's budget, spend, reservations in flight and alerts" })
  getBudget(@CurrentPrincipal() principal: Principal): Promise<BudgetView> {
    return this.budgets.get(principal.tenantId);
  }

  @Put('budget')
  @MinRole('admin')
  @ApiOperation({ summary: 'Set the monthly limit, alert thresholds and hard stop' })
  putBudget(@CurrentPrincipal() principal: Principal, @Body() body: UpdateBudgetDto): Promise<BudgetView> {
    return this.budgets.update(principal.tenantId, body);
  }
}
