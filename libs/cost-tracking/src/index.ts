import { LedgerAbArm1765300000200 } from './migrations/1765300000200-ledger-ab-arm';
export * from './cost-tracking.module';
export { LedgerService, type LedgerBucket, type LedgerEntry, type SavingEntry } from './ledger/ledger.service';
export { BudgetService, BudgetExceededError, type CallBudgetContext } from './budgets/budget.service';
export { BUDGET_RESERVATION_OPTIONS, type BudgetReservationOptions, type Reservation } from './budgets/budget-reservations';
import { CostLedger1763900000000 } from './migrations/1763900000000-cost-ledger';
import { Savings1764000000200 } from './migrations/1764000000200-savings';
import { LedgerStatsIndex1765400000930 } from './migrations/1765400000930-ledger-stats-index';
import { LedgerTier1765400000402 } from './migrations/1765400000402-ledger-tier';

export const COST_TRACKING_MIGRATIONS = [
  CostLedger1763900000000,
  Savings1764000000200,
  LedgerAbArm1765300000200,
  LedgerTier1765400000402,
  LedgerStatsIndex1765400000930,
];
export { LedgerUsageStatsRepository, STATS_WINDOW, type LatencyStats, type OutputTokenStats } from './ledger/usage-stats.repository';
