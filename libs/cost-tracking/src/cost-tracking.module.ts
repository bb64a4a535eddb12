import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BudgetAlertEntity, BudgetEntity } from './budgets/budget.entity';
import { BudgetRepository } from './budgets/budget.repository';
import { BudgetReservations } from './budgets/budget-reservations';
import { BudgetService } from './budgets/budget.service';
import { CostsController } from './costs.controller';
import { LedgerRepository } from './ledger/ledger.repository';
import { LedgerUsageStatsRepository } from './ledger/usage-stats.repository';
import { LedgerService } from './ledger/ledger.service';
import { LlmCallEntity } from './ledger/llm-call.entity';

/** Ledger and budgets for any process. */
@Module({
  imports: [TypeOrmModule.forFeature([LlmCallEntity, BudgetEntity, BudgetAlertEntity])],
  providers: [LedgerRepository, LedgerService, BudgetRepository, BudgetReservations, BudgetService, LedgerUsageStatsRepository],
  exports: [LedgerService, BudgetService, LedgerUsageStatsRepository],
})
export class CostTrackingCoreModule {}

/** HTTP side: costs summary, ledger, budget. */
@Module({
  imports: [CostTrackingCoreModule],
  controllers: [CostsController],
  exports: [CostTrackingCoreModule],
})
export class CostTrackingModule {}
