import type { BudgetView } from '@margin/contracts';
import { useId, useRef, useState, type FormEvent } from 'react';
import { ErrorMessage } from '../../../shared/components/ErrorMessage';
import { useUpdateBudget } from '../hooks/useBudget';
import { budgetFormValues, parseBudgetForm, type BudgetFormErrors, type BudgetFormValues } from '../types/budgetForm';

interface BudgetFormProps {
  budget: BudgetView;
}

export function BudgetForm({ budget }: BudgetFormProps) {
  const mutation = useUpdateBudget();
  const [values, setValues] = useState<BudgetFormValues>(() => budgetFormValues(budget));
  const [errors, setErrors] = useState<BudgetFormErrors>({});
  const [saved, setSaved] = useState(false);
  const limitRef = useRef<HTMLInputElement>(null);
  const thresholdsRef = useRef<HTMLInputElement>(null);
  const limitId = useId();
  const thresholdsId = useId();
  const hardStopId = useId();

  const change = (patch: Partial<BudgetFormValues>): void => {
    setValues((current) => ({ ...current, ...patch }));
    setSaved(false);
  };

  const onSubmit = (event: FormEvent<HTMLFormElement>): void => {
    event.preventDefault();
    if (mutation.isPending) return;
    const result = parseBudgetForm(values);
    if (!result.ok) {
      setErrors(result.errors);
      setSaved(false);
      (result.errors.monthlyLimitUsd ? limitRef : thresholdsRef).current?.focus();
      return;
    }
    setErrors({});
    mutation.mutate(result.request, {
      onSuccess: (updated) => {
        setValues(budgetFormValues(updated));
        setSaved(true);
      },
    });
  };

  return (
    <form className="form" onSubmit={onSubmit} noValidate aria-label="Budget">
      <div className="form__row">
        <div className="field">
          <label htmlFor={limitId}>Monthly limit (USD)</label>
          <input
            id={limitId}
            ref={limitRef}
            name="monthlyLimitUsd"
            type="text"
            inputMode="decimal"
            autoComplete="off"
            placeholder="No limit"
            value={values.monthlyLimitUsd}
            aria-invalid={errors.monthlyLimitUsd ? true : undefined}
            aria-describedby={`${limitId}-hint${errors.monthlyLimitUsd ? ` ${limitId}-error` : ''}`}
            onChange={(event) => change({ monthlyLimitUsd: event.target.value })}
          />
          <p id={`${limitId}-hint`} className="field__hint">
            Per calendar month (UTC). Leave empty for no limit.
          </p>
          {errors.monthlyLimitUsd ? (
            <p id={`${limitId}-error`} className="field__error">
              {errors.monthlyLimitUsd}
            </p>
          ) : null}
        </div>
        <div className="field field--grow">
          <label htmlFor={thresholdsId}>Alert thresholds (% of the limit)</label>
          <input
            id={thresholdsId}
            ref={thresholdsRef}
            name="alertThresholds"
            type="text"
            autoComplete="off"
            placeholder="50, 80, 100"
            value={values.alertThresholdsPercent}
            aria-invalid={errors.alertThresholdsPercent ? true : undefined}
            aria-describedby={`${thresholdsId}-hint${errors.alertThresholdsPercent ? ` ${thresholdsId}-error` : ''}`}
            onChange={(event) => change({ alertThresholdsPercent: event.target.value })}
          />
          <p id={`${thresholdsId}-hint`} className="field__hint">
            Comma-separated percentages; an alert goes out once spend crosses each.
          </p>
          {errors.alertThresholdsPercent ? (
            <p id={`${thresholdsId}-error`} className="field__error">
              {errors.alertThresholdsPercent}
            </p>
          ) : null}
        </div>
      </div>
      <div className="checkbox">
        <input
          id={hardStopId}
          name="hardStop"
          type="checkbox"
          checked={values.hardStop}
          aria-describedby={`${hardStopId}-hint`}
          onChange={(event) => change({ hardStop: event.target.checked })}
        />
        <label htmlFor={hardStopId}>Hard stop</label>
        <p id={`${hardStopId}-hint`} className="field__hint checkbox__hint">
          Refuse calls (HTTP 429) whose worst-case cost would pass the limit, instead of only sending alerts.
        </p>
      </div>

      {mutation.isError ? <ErrorMessage error={mutation.error} title="Could not save the budget." /> : null}

      <div className="form__actions">
        <button type="submit" className="button button--primary" disabled={mutation.isPending}>
          {mutation.isPending ? 'Saving…' : 'Save budget'}
        </button>
        <p className="muted small" role="status">
          {saved ? 'Budget saved.' : ''}
        </p>
      </div>
    </form>
  );
}
