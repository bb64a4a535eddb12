import type { BudgetView, UpdateBudgetRequest } from '@margin/contracts';

/** What the person types: the limit in USD and the alert thresholds as percentages of it. */
export interface BudgetFormValues {
  monthlyLimitUsd: string;
  alertThresholdsPercent: string;
  hardStop: boolean;
}

export type BudgetFormErrors = Partial<Record<'monthlyLimitUsd' | 'alertThresholdsPercent', string>>;

export type BudgetFormResult = { ok: true; request: UpdateBudgetRequest } | { ok: false; errors: BudgetFormErrors };

// The API's limits (UpdateBudgetDto): a limit of 0..1,000,000 USD with 6 decimals, up to 10 thresholds of
// 0.01..10 (1%..1000%) with 4 decimals as fractions, i.e. 2 as percentages.
const MAX_LIMIT_USD = 1_000_000;
const MAX_THRESHOLDS = 10;
const MIN_PERCENT = 1;
const MAX_PERCENT = 1000;

function decimals(text: string): number {
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : text.length - dot - 1;
}

function isPlainNumber(text: string): boolean {
  return /^\d+(\.\d+)?$/.test(text) || /^\.\d+$/.test(text);
}

export function budgetFormValues(budget: BudgetView): BudgetFormValues {
  return {
    monthlyLimitUsd: budget.monthlyLimitUsd === null ? '' : String(budget.monthlyLimitUsd),
    alertThresholdsPercent: budget.alertThresholds.map((fraction) => String(Number((fraction * 100).toFixed(2)))).join(', '),
    hardStop: budget.hardStop,
  };
}

export function parseBudgetForm(values: BudgetFormValues): BudgetFormResult {
  const errors: BudgetFormErrors = {};

  const limitText = values.monthlyLimitUsd.trim().replace(/^\$/, '');
  let monthlyLimitUsd: number | null = null;
  if (limitText !== '') {
    const limit = Number(limitText);
    if (!isPlainNumber(limitText) || !Number.isFinite(limit)) {
      errors.monthlyLimitUsd = 'Enter the monthly limit in USD, e.g. 50, or leave it empty for no limit.';
    } else if (limit > MAX_LIMIT_USD) {
      errors.monthlyLimitUsd = 'The monthly limit can be at most $1,000,000.';
    } else if (decimals(limitText) > 6) {
      errors.monthlyLimitUsd = 'Use at most 6 decimals for the monthly limit.';
    } else {
      monthlyLimitUsd = limit;
    }
  }

  const parts = values.alertThresholdsPercent
    .split(/[,;\s]+/)
    .map((part) => part.trim().replace(/%$/, ''))
    .filter((part) => part !== '');
  const percents: number[] = [];
  for (const part of parts) {
    const percent = Number(part);
    if (!isPlainNumber(part) || !Number.isFinite(percent) || percent < MIN_PERCENT || percent > MAX_PERCENT) {
      errors.alertThresholdsPercent = `Each alert threshold must be a percentage from ${MIN_PERCENT} to ${MAX_PERCENT}, e.g. 50, 80, 100.`;
      break;
    }
    if (decimals(part) > 2) {
      errors.alertThresholdsPercent = 'Use at most 2 decimals in a threshold percentage.';
      break;
    }
    percents.push(percent);
  }
  const unique = [...new Set(percents)].sort((a, b) => a - b);
  if (!errors.alertThresholdsPercent && unique.length > MAX_THRESHOLDS) {
    errors.alertThresholdsPercent = `Set at most ${MAX_THRESHOLDS} alert thresholds.`;
  }

  if (errors.monthlyLimitUsd || errors.alertThresholdsPercent) return { ok: false, errors };
  return {
    ok: true,
    request: {
      monthlyLimitUsd,
      // 80 → 0.8 without float noise (0.1 * 3 style artefacts would fail the API's 4-decimal check).
      alertThresholds: unique.map((percent) => Math.round(percent * 100) / 10_000),
      hardStop: values.hardStop,
    },
  };
}
