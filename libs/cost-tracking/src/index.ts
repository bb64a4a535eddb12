export * from './cost-tracking.module';
export { LedgerService, type LedgerEntry } from './ledger/ledger.service';
export { BudgetService, BudgetExceededError, type CallBudgetContext } from './budgets/budget.service';
export type { Reservation } from './budgets/budget-reservations';
import { CostLedger1763900000000 } from './migrations/1763900000000-cost-ledger';

export const COST_TRACKING_MIGRATIONS = [CostLedger1763900000000];
