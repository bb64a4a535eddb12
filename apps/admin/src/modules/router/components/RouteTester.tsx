import { COMPLEXITIES, type Complexity, type RouteDecisionView, type RouteRequest } from '@margin/contracts';
import { useId, useState, type FormEvent } from 'react';
import { Badge } from '../../../shared/components/Badge';
import { ErrorMessage } from '../../../shared/components/ErrorMessage';
import { formatUsd } from '../../../shared/format/money';
import { useExplainRoute } from '../hooks/useRouter';
import { COMPLEXITY_LABELS } from '../types/policyMatrix';
import { TIER_TONES } from './ModelCatalog';

interface RouteTesterProps {
  /** The operations of the policy, offered as choices. */
  operations: string[];
}

interface TesterValues {
  operation: string;
  complexity: Complexity;
  inputTokens: string;
  maxTokens: string;
  budgetUsd: string;
}

type TesterErrors = Partial<Record<keyof TesterValues, string>>;

const OPERATION = /^[a-z][a-z0-9_-]{0,49}$/;

function parse(values: TesterValues): { request?: RouteRequest; errors: TesterErrors } {
  const errors: TesterErrors = {};
  const operation = values.operation.trim();
  if (!OPERATION.test(operation)) errors.operation = 'Use lowercase letters, digits, _ or - (e.g. draft).';
  const inputTokens = Number(values.inputTokens);
  if (!/^\d+$/.test(values.inputTokens.trim()) || inputTokens > 10_000_000) {
    errors.inputTokens = 'Enter a whole number of tokens, up to 10,000,000.';
  }
  const maxTokens = Number(values.maxTokens);
  if (!/^\d+$/.test(values.maxTokens.trim()) || maxTokens < 1 || maxTokens > 1_000_000) {
    errors.maxTokens = 'Enter a whole number from 1 to 1,000,000.';
  }
  const budgetText = values.budgetUsd.trim().replace(/^\$/, '');
  let budgetUsd: number | undefined;
  if (budgetText !== '') {
    if (!/^(\d+(\.\d{1,6})?|\.\d{1,6})$/.test(budgetText)) errors.budgetUsd = 'Enter an amount in USD with at most 6 decimals.';
    else budgetUsd = Number(budgetText);
  }
  if (Object.keys(errors).length > 0) return { errors };
  return {
    errors,
    request: {
      operation,
      complexity: values.complexity,
      inputTokens,
      maxTokens,
      ...(budgetUsd !== undefined ? { budgetUsd } : {}),
    },
  };
}

/** "What would you route?": asks the router for a decision without running anything. */
export function RouteTester({ operations }: RouteTesterProps) {
  const mutation = useExplainRoute();
  const [values, setValues] = useState<TesterValues>({
    operation: operations.includes('draft') ? 'draft' : (operations[0] ?? ''),
    complexity: 'medium',
    inputTokens: '1000',
    maxTokens: '1024',
    budgetUsd: '',
  });
  const [errors, setErrors] = useState<TesterErrors>({});
  const id = useId();
  const listId = `${id}-operations`;

  const field = (name: keyof TesterValues) => ({
    id: `${id}-${name}`,
    'aria-invalid': errors[name] ? true : undefined,
    'aria-describedby': errors[name] ? `${id}-${name}-error` : undefined,
  });
  const error = (name: keyof TesterValues) =>
    errors[name] ? (
      <p id={`${id}-${name}-error`} className="field__error">
        {errors[name]}
      </p>
    ) : null;

  const onSubmit = (event: FormEvent<HTMLFormElement>): void => {
    event.preventDefault();
    if (mutation.isPending) return;
    const result = parse(values);
    setErrors(result.errors);
    if (result.request) mutation.mutate(result.request);
  };

  return (
    <>
      <form className="form" onSubmit={onSubmit} noValidate aria-label="What would you route?">
        <div className="form__row">
          <div className="field">
            <label htmlFor={`${id}-operation`}>Operation</label>
            <input
              {...field('operation')}
              type="text"
              list={listId}
              autoComplete="off"
              spellCheck={false}
              value={values.operation}
              onChange={(event) => setValues({ ...values, operation: event.target.value })}
            />
            <datalist id={listId}>
              {operations.map((operation) => (
                <option key={operation} value={operation} />
              ))}
            </datalist>
            {error('operation')}
          </div>
          <div className="field">
            <label htmlFor={`${id}-complexity`}>Complexity</label>
            <select
              id={`${id}-complexity`}
              value={values.complexity}
              onChange={(event) => setValues({ ...values, complexity: event.target.value as Complexity })}
            >
              {COMPLEXITIES.map((complexity) => (
                <option key={complexity} value={complexity}>
                  {COMPLEXITY_LABELS[complexity]}
                </option>
              ))}
            </select>
          </div>
          <div className="field field--narrow">
            <label htmlFor={`${id}-inputTokens`}>Input tokens</label>
            <input
              {...field('inputTokens')}
              type="text"
              inputMode="numeric"
              value={values.inputTokens}
              onChange={(event) => setValues({ ...values, inputTokens: event.target.value })}
            />
            {error('inputTokens')}
          </div>
          <div className="field field--narrow">
            <label htmlFor={`${id}-maxTokens`}>Max output tokens</label>
            <input
              {...field('maxTokens')}
              type="text"
              inputMode="numeric"
              value={values.maxTokens}
              onChange={(event) => setValues({ ...values, maxTokens: event.target.value })}
            />
            {error('maxTokens')}
          </div>
          <div className="field field--narrow">
            <label htmlFor={`${id}-budgetUsd`}>Call budget (USD)</label>
            <input
              {...field('budgetUsd')}
              type="text"
              inputMode="decimal"
              placeholder="Optional"
              value={values.budgetUsd}
              onChange={(event) => setValues({ ...values, budgetUsd: event.target.value })}
            />
            {error('budgetUsd')}
          </div>
        </div>
        <div className="form__actions">
          <button type="submit" className="button button--primary" disabled={mutation.isPending}>
            {mutation.isPending ? 'Asking the router…' : 'Test route'}
          </button>
          <p className="muted small">Nothing runs and nothing is charged.</p>
        </div>
      </form>

      {mutation.isError ? <ErrorMessage error={mutation.error} title="The router could not answer." /> : null}
      {mutation.data ? <RouteDecision decision={mutation.data} /> : null}
    </>
  );
}

// Keyed by string: the API may add reasons before this list learns them; those show as sent.
const SKIP_REASONS: Record<string, string | undefined> = {
  disabled: 'Disabled',
  'circuit-open': 'Circuit open',
  'context-window': 'Context window too small',
  budget: 'Over budget',
  'rate-limit': 'Rate limited',
  'unknown-model': 'Not in the catalog',
  plan: 'Not in your plan',
};

function RouteDecision({ decision }: { decision: RouteDecisionView }) {
  const { chosen } = decision;
  return (
    <section className="decision" aria-label="Routing decision" aria-live="polite">
      {chosen ? (
        <div className="decision__chosen">
          <p className="decision__label">Chosen</p>
          <p className="decision__model">
            <code>{chosen.model}</code> <Badge tone={TIER_TONES[chosen.tier]}>{chosen.tier}</Badge>
          </p>
          <p>
            via <strong>{chosen.provider}</strong>, estimated <strong>{formatUsd(chosen.estimatedCostUsd)}</strong> for this call
          </p>
        </div>
      ) : (
        <div className="decision__chosen decision__chosen--none">
          <p className="decision__label">No model can take this call</p>
        </div>
      )}
      <p className="decision__reason">
        <span className="muted">Why: </span>
        {decision.reason}
      </p>
      {decision.abTest ? (
        <p className="small">
          A/B test on this cell: {Math.round(decision.abTest.share * 100)}% to <code>{decision.abTest.challenger}</code> (
          {decision.abTest.challengerChosen ? 'the challenger was picked this time' : 'not picked this time'}).
        </p>
      ) : null}

      <div className="decision__lists">
        <div>
          <h3 className="decision__heading">Usable candidates, in order</h3>
          {decision.candidates.length === 0 ? (
            <p className="muted small">None.</p>
          ) : (
            <ol className="decision__candidates">
              {decision.candidates.map((candidate) => (
                <li key={candidate.model}>
                  <code>{candidate.model}</code> <span className="muted small">({candidate.tier})</span> {formatUsd(candidate.estimatedCostUsd)}
                </li>
              ))}
            </ol>
          )}
        </div>
        <div>
          <h3 className="decision__heading">Skipped</h3>
          {decision.skipped.length === 0 ? (
            <p className="muted small">No candidate was skipped.</p>
          ) : (
            <div className="table-wrap">
              <table className="table table--compact" aria-label="Skipped candidates">
                <thead>
                  <tr>
                    <th scope="col">Model</th>
                    <th scope="col">Reason</th>
                    <th scope="col">Detail</th>
                  </tr>
                </thead>
                <tbody>
                  {decision.skipped.map((skip) => (
                    <tr key={skip.model}>
                      <th scope="row">
                        <code>{skip.model}</code>
                      </th>
                      <td>
                        <Badge tone="warning">{SKIP_REASONS[skip.reason] ?? skip.reason}</Badge>
                      </td>
                      <td className="table__wrap-cell">{skip.detail}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </div>
      </div>
    </section>
  );
}
