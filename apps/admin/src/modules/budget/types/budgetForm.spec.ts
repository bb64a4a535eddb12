import { budgetFormValues, parseBudgetForm } from './budgetForm';
import { makeBudget } from '../../../testing/fixtures';

describe('parseBudgetForm', () => {
  it('turns the limit and percentages into the API’s request', () => {
    expect(parseBudgetForm({ monthlyLimitUsd: ' 25.5 ', alertThresholdsPercent: '80, 50 , 120%', hardStop: true })).toEqual({
      ok: true,
      request: { monthlyLimitUsd: 25.5, alertThresholds: [0.5, 0.8, 1.2], hardStop: true },
    });
  });

  it('reads an empty limit as no limit and drops duplicate thresholds', () => {
    expect(parseBudgetForm({ monthlyLimitUsd: '', alertThresholdsPercent: '70 70 33.33', hardStop: false })).toEqual({
      ok: true,
      request: { monthlyLimitUsd: null, alertThresholds: [0.3333, 0.7], hardStop: false },
    });
  });

  it.each([
    ['-5', 'Enter the monthly limit in USD'],
    ['12abc', 'Enter the monthly limit in USD'],
    ['2000000', 'at most $1,000,000'],
    ['1.1234567', 'at most 6 decimals'],
  ])('refuses the limit %p', (limit, message) => {
    const result = parseBudgetForm({ monthlyLimitUsd: limit, alertThresholdsPercent: '50', hardStop: false });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.monthlyLimitUsd).toContain(message);
  });

  it.each([
    ['0.5', 'from 1 to 1000'],
    ['1500', 'from 1 to 1000'],
    ['fifty', 'from 1 to 1000'],
    ['12.345', 'at most 2 decimals'],
    ['1 2 3 4 5 6 7 8 9 10 11', 'at most 10'],
  ])('refuses the thresholds %p', (thresholds, message) => {
    const result = parseBudgetForm({ monthlyLimitUsd: '10', alertThresholdsPercent: thresholds, hardStop: false });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.alertThresholdsPercent).toContain(message);
  });

  it('fills the form from the budget as percentages', () => {
    expect(budgetFormValues(makeBudget({ monthlyLimitUsd: null, alertThresholds: [0.5, 0.8, 1.2], hardStop: true }))).toEqual({
      monthlyLimitUsd: '',
      alertThresholdsPercent: '50, 80, 120',
      hardStop: true,
    });
  });
});
