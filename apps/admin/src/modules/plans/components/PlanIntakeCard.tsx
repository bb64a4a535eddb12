import type { RequestPlanView } from '@margin/contracts';
import { useId, useState, type FormEvent } from 'react';
import { formatDateTime } from '../../../shared/format/dates';
import { formatCount, formatUsd } from '../../../shared/format/money';
import { parseBudget } from '../../jobs/types/newJobForm';
import type { UpdatePlanRequest } from '../api/plansApi';
import { parseDeadline, toLocalInput } from '../types/planForm';

interface PlanIntakeCardProps {
  plan: RequestPlanView;
  /** Sends a change of budget or deadline; undefined when the plan cannot be changed. */
  onChange?: (request: UpdatePlanRequest) => Promise<boolean>;
  pending: boolean;
}

const orDash = (value: string | null) => value ?? '—';

/** What the intake understood from the request, and the budget and deadline, which can be changed. */
export function PlanIntakeCard({ plan, onChange, pending }: PlanIntakeCardProps) {
  const id = useId();
  const { intake } = plan;
  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`} className="card__title">
        Intake
      </h2>
      <dl className="facts">
        <dt>Profile</dt>
        <dd>{plan.profile ? <code>{plan.profile}</code> : orDash(intake.profile)}</dd>
        <dt>Topic</dt>
        <dd>{orDash(intake.topic)}</dd>
        <dt>Audience</dt>
        <dd>{orDash(intake.audience)}</dd>
        <dt>Tone</dt>
        <dd>{orDash(intake.tone)}</dd>
        <dt>Keywords</dt>
        <dd>{intake.keywords.length ? intake.keywords.join(', ') : '—'}</dd>
        <dt>Items</dt>
        <dd>{formatCount(plan.items)}</dd>
        <dt>Endpoints</dt>
        <dd>
          {plan.endpoints.length ? (
            <ul className="plan-list">
              {plan.endpoints.map((endpoint) => (
                <li key={endpoint.id}>
                  {endpoint.name} <span className="muted small">({endpoint.type})</span>
                </li>
              ))}
            </ul>
          ) : intake.endpointMentions.length ? (
            `Named but not matched: ${intake.endpointMentions.join(', ')}`
          ) : (
            'None: nothing is published'
          )}
        </dd>
        {!onChange ? (
          <>
            <dt>Budget</dt>
            <dd>{plan.budgetUsd === null ? 'No budget' : formatUsd(plan.budgetUsd)}</dd>
            <dt>Deadline</dt>
            <dd>{plan.deadline ? formatDateTime(plan.deadline) : 'No deadline'}</dd>
          </>
        ) : null}
      </dl>
      {onChange ? (
        // Keyed on the plan's values: a re-estimate from elsewhere (an answer) shows what the server now has.
        <LimitsForm key={`${plan.budgetUsd ?? ''}|${plan.deadline ?? ''}`} plan={plan} onChange={onChange} pending={pending} />
      ) : null}
    </section>
  );
}

function LimitsForm({ plan, onChange, pending }: { plan: RequestPlanView; onChange: (request: UpdatePlanRequest) => Promise<boolean>; pending: boolean }) {
  const id = useId();
  const [budgetText, setBudgetText] = useState(plan.budgetUsd === null ? '' : String(plan.budgetUsd));
  const [deadlineText, setDeadlineText] = useState(toLocalInput(plan.deadline));
  const [attempted, setAttempted] = useState(false);

  const budget = parseBudget(budgetText);
  const deadline = parseDeadline(deadlineText);
  const request: UpdatePlanRequest = {};
  if (budget.ok && (budget.value ?? null) !== plan.budgetUsd) request.budgetUsd = budget.value ?? null;
  if (deadline.ok && deadlineText !== toLocalInput(plan.deadline)) request.deadline = deadline.value;
  // Typed but not valid counts as a change too: saving then says what is wrong.
  const changed = budgetText.trim() !== (plan.budgetUsd === null ? '' : String(plan.budgetUsd)) || deadlineText !== toLocalInput(plan.deadline);

  const onSubmit = (event: FormEvent<HTMLFormElement>): void => {
    event.preventDefault();
    setAttempted(true);
    if (!budget.ok || !deadline.ok || Object.keys(request).length === 0 || pending) return;
    void onChange(request);
  };

  return (
    <form className="form" onSubmit={onSubmit} noValidate aria-label="Budget and deadline">
      <div className="form__row">
        <div className="field field--price">
          <label htmlFor={`${id}-budget`}>Budget (USD)</label>
          <input
            id={`${id}-budget`}
            type="text"
            inputMode="decimal"
            autoComplete="off"
            placeholder="No budget"
            value={budgetText}
            aria-invalid={attempted && !budget.ok ? true : undefined}
            aria-describedby={attempted && !budget.ok ? `${id}-budget-error` : undefined}
            onChange={(event) => setBudgetText(event.target.value)}
          />
          {attempted && !budget.ok ? (
            <p id={`${id}-budget-error`} className="field__error">
              {budget.error}
            </p>
          ) : null}
        </div>
        <div className="field">
          <label htmlFor={`${id}-deadline`}>Deadline</label>
          <input
            id={`${id}-deadline`}
            type="datetime-local"
            value={deadlineText}
            aria-invalid={attempted && !deadline.ok ? true : undefined}
            aria-describedby={attempted && !deadline.ok ? `${id}-deadline-error` : undefined}
            onChange={(event) => setDeadlineText(event.target.value)}
          />
          {attempted && !deadline.ok ? (
            <p id={`${id}-deadline-error`} className="field__error">
              {deadline.error}
            </p>
          ) : null}
        </div>
      </div>
      <div className="form__actions">
        <button type="submit" className="button button--secondary button--small" disabled={pending || !changed}>
          Save budget and deadline
        </button>
      </div>
    </form>
  );
}
