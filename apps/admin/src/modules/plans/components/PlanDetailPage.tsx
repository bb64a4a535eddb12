import type { RequestPlanView } from '@margin/contracts';
import { useId } from 'react';
import { Link, useParams } from 'react-router-dom';
import { ApiError } from '../../../shared/api/client';
import { ErrorMessage } from '../../../shared/components/ErrorMessage';
import { LoadingState } from '../../../shared/components/LoadingState';
import { formatDateTime } from '../../../shared/format/dates';
import { formatDuration } from '../../../shared/format/duration';
import { formatCount, formatUsd } from '../../../shared/format/money';
import { usePermissions } from '../../auth/hooks/usePermissions';
import { useModels } from '../../router/hooks/useRouter';
import type { UpdatePlanRequest } from '../api/plansApi';
import { useApprovePlan, usePlan, useUpdatePlan } from '../hooks/usePlans';
import { cheapestChanges, formatError } from '../types/planForm';
import { isEditable, isRunning, planTitle } from '../types/planStatus';
import { PlanIntakeCard } from './PlanIntakeCard';
import { PlanQuestionsForm } from './PlanQuestionsForm';
import { PlanStatusBadge } from './PlanStatusBadge';
import './plans.css';
import { PlanStepsTable } from './PlanStepsTable';

export function PlanDetailPage() {
  const { id = '' } = useParams<{ id: string }>();
  const plan = usePlan(id);
  if (plan.isPending) return <LoadingState label="Loading the plan…" />;
  if (plan.isError) {
    const missing = plan.error instanceof ApiError && (plan.error.status === 404 || plan.error.status === 400);
    return missing ? (
      <div className="page-header">
        <h1>Plan not found</h1>
        <p className="muted">There is no plan with this ID in your account.</p>
        <p>
          <Link to="/requests">Back to the requests</Link>
        </p>
      </div>
    ) : (
      <ErrorMessage error={plan.error} title="Could not load the plan." onRetry={() => void plan.refetch()} />
    );
  }
  return <PlanDetail plan={plan.data} />;
}

function PlanDetail({ plan }: { plan: RequestPlanView }) {
  const permissions = usePermissions();
  const models = useModels();
  const update = useUpdatePlan(plan.id);
  const canEdit = (permissions?.canRunJobs ?? false) && isEditable(plan.status);

  const change = (request: UpdatePlanRequest): Promise<boolean> =>
    update.mutateAsync(request).then(
      () => true,
      () => false,
    );
  const chooseModel = (step: string, model: string | null) => void change({ steps: [{ step, model }] });

  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb small">
        <Link to="/requests">Requests</Link> <span aria-hidden="true">/</span> <span aria-current="page">Plan</span>
      </nav>
      <div className="page-header">
        <h1>
          Plan <PlanStatusBadge status={plan.status} />
        </h1>
        <p className="muted">
          {planTitle(plan)} · made {formatDateTime(plan.createdAt)}
          {plan.approvedAt ? ` · approved ${formatDateTime(plan.approvedAt)}` : ''}
        </p>
      </div>

      <PlanSummary plan={plan} />
      {update.isError ? <ErrorMessage error={update.error} title="The plan was not changed." /> : null}
      <BudgetFit plan={plan} onUseCheapest={canEdit ? () => void change({ steps: cheapestChanges(plan) }) : undefined} pending={update.isPending} />

      {plan.questions.length > 0 && isEditable(plan.status) ? (
        <PlanQuestionsForm
          key={plan.questions.map((question) => question.field).join('|')}
          questions={plan.questions}
          onAnswer={canEdit ? (answers) => change({ answers }) : undefined}
          pending={update.isPending}
        />
      ) : null}

      <section className="section" aria-labelledby="plan-steps-title">
        <h2 id="plan-steps-title" className="section__title">
          Steps
        </h2>
        {plan.steps.length === 0 ? (
          <p className="muted">No steps yet: the plan needs the answers above to know what to run.</p>
        ) : (
          <PlanStepsTable plan={plan} models={models.data} onChooseModel={canEdit ? chooseModel : undefined} pending={update.isPending} />
        )}
        {canEdit && models.isError ? <p className="muted small">The model catalog could not be loaded: only the planned models can be chosen.</p> : null}
      </section>

      <div className="cards cards--wide">
        <PlanIntakeCard plan={plan} onChange={canEdit ? change : undefined} pending={update.isPending} />
        <ApprovePanel plan={plan} canApprove={permissions?.canRunJobs ?? false} roleKnown={permissions !== undefined} />
      </div>

      {plan.actual ? <ActualPanel plan={plan} actual={plan.actual} /> : null}
    </>
  );
}

function PlanSummary({ plan }: { plan: RequestPlanView }) {
  return (
    <dl className="stats" role="group" aria-label="Plan totals">
      <div className="stat">
        <dt className="stat__label">Estimated cost</dt>
        <dd className="stat__value">{formatUsd(plan.costUsd)}</dd>
      </div>
      <div className="stat">
        <dt className="stat__label">Worst case</dt>
        <dd className="stat__value">{formatUsd(plan.worstCaseUsd)}</dd>
      </div>
      <div className="stat">
        <dt className="stat__label">Estimated time</dt>
        <dd className="stat__value">{formatDuration(plan.seconds)}</dd>
      </div>
      <div className="stat">
        <dt className="stat__label">Cache hits</dt>
        <dd className="stat__value">
          {formatCount(plan.cacheHits)} <span className="stat__of">of {formatCount(plan.items)}</span>
        </dd>
      </div>
      <div className="stat">
        <dt className="stat__label">Budget</dt>
        <dd className="stat__value">{plan.budgetUsd === null ? 'None' : formatUsd(plan.budgetUsd)}</dd>
      </div>
    </dl>
  );
}

function BudgetFit({ plan, onUseCheapest, pending }: { plan: RequestPlanView; onUseCheapest?: () => void; pending: boolean }) {
  if (plan.budgetUsd === null) return null;
  if (plan.fitsBudget) {
    return (
      <div className="notice notice--info" role="status">
        <p>
          Fits the budget: {formatUsd(plan.costUsd)} expected of {formatUsd(plan.budgetUsd)}
          {plan.worstCaseUsd > plan.budgetUsd ? ` (the worst case, ${formatUsd(plan.worstCaseUsd)}, would not)` : ''}.
        </p>
      </div>
    );
  }
  const changes = cheapestChanges(plan);
  return (
    <div className="notice notice--warning" role="status">
      <p className="notice__title">
        Over the budget: {formatUsd(plan.costUsd)} expected, the budget is {formatUsd(plan.budgetUsd)}.
      </p>
      {plan.cheapest ? (
        <>
          <p>
            The cheapest choice of models costs {formatUsd(plan.cheapest.costUsd)}
            {changes.length ? `: ${changes.map((change) => `${change.step} on ${change.model}`).join(', ')}.` : '.'}
          </p>
          {onUseCheapest && changes.length ? (
            <button type="button" className="button button--secondary button--small" disabled={pending} onClick={onUseCheapest}>
              Use cheapest
            </button>
          ) : null}
        </>
      ) : (
        <p>No choice of models fits it: raise the budget or ask for less.</p>
      )}
    </div>
  );
}

function ApprovePanel({ plan, canApprove, roleKnown }: { plan: RequestPlanView; canApprove: boolean; roleKnown: boolean }) {
  const id = useId();
  const approve = useApprovePlan(plan.id);
  const editable = isEditable(plan.status);
  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`} className="card__title">
        Run
      </h2>
      {plan.jobId ? (
        <p>
          Job: <Link to={`/jobs/${plan.jobId}`}>Open the job</Link> <code className="small">{plan.jobId.slice(0, 8)}</code>
        </p>
      ) : null}
      <p role="status">
        {plan.status === 'needs_input'
          ? 'The plan needs the answers to the questions before it can run.'
          : plan.status === 'proposed'
            ? 'Nothing runs until the plan is approved: then it becomes a job with these steps and models.'
            : isRunning(plan.status)
              ? 'Approved: the job is running. This page follows it until it finishes.'
              : plan.status === 'completed'
                ? 'The job finished.'
                : plan.status === 'failed'
                  ? 'The job failed.'
                  : 'The plan was cancelled.'}
      </p>
      {approve.isError ? <ErrorMessage error={approve.error} title="The plan was not approved." /> : null}
      {editable ? (
        canApprove ? (
          <div className="form__actions">
            <button
              type="button"
              className="button button--primary"
              disabled={approve.isPending || plan.status === 'needs_input'}
              onClick={() => approve.mutate()}
            >
              {approve.isPending ? 'Approving…' : 'Approve and run'}
            </button>
          </div>
        ) : roleKnown ? (
          <p className="muted">Viewers can read plans; a member or admin approves them.</p>
        ) : null
      ) : null}
    </section>
  );
}

function ActualPanel({ plan, actual }: { plan: RequestPlanView; actual: NonNullable<RequestPlanView['actual']> }) {
  return (
    <section className="section" aria-labelledby="plan-actual-title">
      <h2 id="plan-actual-title" className="section__title">
        Estimate vs actual
      </h2>
      <div className="table-wrap" role="region" aria-label="Estimate vs actual table" tabIndex={0}>
        <table className="table table--compact">
          <thead>
            <tr>
              <th scope="col" />
              <th scope="col" className="num">
                Estimate
              </th>
              <th scope="col" className="num">
                Actual
              </th>
              <th scope="col" className="num">
                Error
              </th>
            </tr>
          </thead>
          <tbody>
            <tr>
              <th scope="row">Cost</th>
              <td className="num">{formatUsd(plan.costUsd)}</td>
              <td className="num">{formatUsd(actual.costUsd)}</td>
              <td className="num">{formatError(actual.costError)}</td>
            </tr>
            <tr>
              <th scope="row">Time</th>
              <td className="num">{formatDuration(plan.seconds)}</td>
              <td className="num">{formatDuration(actual.seconds)}</td>
              <td className="num">{formatError(actual.secondsError)}</td>
            </tr>
          </tbody>
        </table>
      </div>
    </section>
  );
}
