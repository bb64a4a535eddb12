import { Body, Controller, Get, HttpCode, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { RouteDecisionView, RoutingPolicyView } from '@margin/contracts';
import { BudgetService } from '@margin/cost-tracking';
import { usdToPico, type PicoUsd } from '@margin/core';
import { CurrentPrincipal, MinRole, type Principal } from '@margin/identity';
import { DEFAULT_MAX_TOKENS } from '../routing/estimate';
import { RouterService } from '../routing/router.service';
import { RouteRequestDto, UpdatePolicyDto } from './router.dto';
import { RoutingPolicyService } from './routing-policy.service';

@ApiTags('router')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('router')
export class RouterController {
  constructor(
    private readonly policy: RoutingPolicyService,
    private readonly router: RouterService,
    private readonly budgets: BudgetService,
  ) {}

  @Get('policy')
  @ApiOperation({ summary: 'Operation × complexity → candidates: the global policy, this tenant’s overrides and what applies' })
  getPolicy(@CurrentPrincipal() principal: Principal): RoutingPolicyView {
    return this.policy.view(principal.tenantId);
  }

  @Put('policy')
  @MinRole('admin')
  @ApiOperation({ summary: 'Set cells of the global policy (operator) or of this tenant’s overrides (admin)' })
  putPolicy(@CurrentPrincipal() principal: Principal, @Body() body: UpdatePolicyDto): Promise<RoutingPolicyView> {
    return this.policy.update(principal.tenantId, principal.operator, body);
  }

  @Post('route')
  @HttpCode(200)
  @ApiOperation({ summary: 'Which model a call would go to, the candidates skipped and why, and its estimated cost (nothing runs)' })
  @ApiOkResponse({ description: '{chosen, candidates, skipped, abTest, reason}' })
  async route(@CurrentPrincipal() principal: Principal, @Body() body: RouteRequestDto): Promise<RouteDecisionView> {
    const budget = await this.budgets.get(principal.tenantId);
    const limits: PicoUsd[] = [];
    if (budget.hardStop && budget.monthlyLimitUsd !== null) {
      const remaining = usdToPico(budget.monthlyLimitUsd.toFixed(6)) - usdToPico(budget.spentUsd.toFixed(6)) - usdToPico(budget.reservedUsd.toFixed(6));
      limits.push(remaining > 0n ? remaining : 0n);
    }
    // @IsOptional lets null through as "not given"
    if (body.budgetUsd != null) limits.push(usdToPico(body.budgetUsd.toFixed(6)));
    return this.router.explain({
      tenantId: principal.tenantId,
      operation: body.operation,
      complexity: body.complexity ?? 'medium',
      inputTokens: body.inputTokens ?? 1000,
      maxTokens: body.maxTokens ?? DEFAULT_MAX_TOKENS,
      budgetRemainingPico: limits.length ? limits.reduce((a, b) => (a < b ? a : b)) : null,
    });
  }
}
