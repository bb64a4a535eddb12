import type { MeResponse } from '@margin/contracts';
import { Link } from 'react-router-dom';
import { Badge } from '../../../shared/components/Badge';
import { ErrorMessage } from '../../../shared/components/ErrorMessage';
import { LoadingState } from '../../../shared/components/LoadingState';
import { formatUtcDate } from '../../../shared/format/dates';
import { planLabel } from '../../../shared/format/labels';
import { formatCount, formatUsd } from '../../../shared/format/money';
import { useMe } from '../../auth/hooks/useMe';
import { permissionsOf, type Permissions } from '../../auth/types/permissions';
import { BudgetForm } from '../../budget/components/BudgetForm';
import { BudgetMeter } from '../../budget/components/BudgetMeter';
import { useBudget } from '../../budget/hooks/useBudget';
import { UsersSection } from '../../users/components/UsersSection';
import type { PlanUsage } from '../types/planUsage';

export function SettingsPage() {
  const me = useMe();

  return (
    <>
      <div className="page-header">
        <h1>Settings</h1>
        <p className="muted">Your tenant’s plan, monthly budget, API keys and people.</p>
      </div>
      {me.isPending ? (
        <LoadingState label="Loading your account…" />
      ) : me.isError ? (
        <ErrorMessage error={me.error} title="Could not load your account." onRetry={() => void me.refetch()} />
      ) : (
        <SettingsSections me={me.data} permissions={permissionsOf(me.data)} />
      )}
    </>
  );
}

function SettingsSections({ me, permissions }: { me: MeResponse; permissions: Permissions }) {
  const budget = useBudget();

  return (
    <>
      <div className="cards">
        <section className="card" aria-labelledby="settings-plan-title">
          <h2 id="settings-plan-title" className="card__title">
            Plan and usage
          </h2>
          <dl className="facts">
            <dt>Tenant</dt>
            <dd>{me.tenant.name}</dd>
            <dt>Plan</dt>
            <dd>
              <Badge tone="accent">{planLabel(me.tenant.plan)}</Badge>
              {me.tenant.isOperator ? (
                <>
                  {' '}
                  <Badge tone="warning">Operator</Badge>
                </>
              ) : null}
            </dd>
            <dt>Current period</dt>
            <dd>
              From <time dateTime={me.usage.periodStart}>{formatUtcDate(me.usage.periodStart)}</time>
            </dd>
            <dt>Resets</dt>
            <dd>
              <time dateTime={me.usage.resetsAt}>{formatUtcDate(me.usage.resetsAt)}</time> (UTC)
            </dd>
            <dt>Spent this period</dt>
            <dd>{budget.data ? formatUsd(budget.data.spentUsd) : budget.isError ? 'Unavailable' : '…'}</dd>
            <PlanUsageFacts usage={me.usage} />
          </dl>
          {me.tenant.isOperator ? <p className="muted small">This tenant runs the installation: its owner manages every tenant’s plan.</p> : null}
        </section>

        <section className="card" aria-labelledby="settings-keys-title">
          <h2 id="settings-keys-title" className="card__title">
            API keys
          </h2>
          <p>
            Integrations call the API with a key of their own.{' '}
            {permissions.isAdmin ? 'Create one per integration, so each can be revoked alone.' : 'An admin or owner can create one for you.'}
          </p>
          <p>
            <Link to="/api-keys">Manage API keys</Link>
          </p>
        </section>
      </div>

      <section className="card" aria-labelledby="settings-budget-title">
        <h2 id="settings-budget-title" className="card__title">
          Monthly budget
        </h2>
        {budget.isPending ? (
          <LoadingState label="Loading the budget…" />
        ) : budget.isError ? (
          <ErrorMessage error={budget.error} title="Could not load the budget." onRetry={() => void budget.refetch()} />
        ) : (
          <>
            <BudgetMeter budget={budget.data} />
            {permissions.isAdmin ? (
              <BudgetForm budget={budget.data} />
            ) : (
              <p className="notice notice--info">Only admins and owners of your tenant can change the budget.</p>
            )}
          </>
        )}
      </section>

      {permissions.isAdmin ? (
        <UsersSection permissions={permissions} currentUserId={me.user?.id ?? null} />
      ) : (
        <section className="card" aria-labelledby="settings-users-title">
          <h2 id="settings-users-title" className="card__title">
            Users
          </h2>
          <p className="muted">Only admins and owners of your tenant can see and manage its users.</p>
        </section>
      )}
    </>
  );
}

function ofLimit(used: number | undefined, limit: number | null | undefined): string {
  const count = used === undefined ? '—' : formatCount(used);
  return limit === null || limit === undefined ? `${count} (no limit)` : `${count} of ${formatCount(limit)}`;
}

/** Jobs and items this month against the plan's limits, when the API reports them. */
function PlanUsageFacts({ usage }: { usage: PlanUsage }) {
  const { limits } = usage;
  if (usage.jobs === undefined && usage.items === undefined && !limits) return null;
  return (
    <>
      <dt>Jobs this month</dt>
      <dd>{ofLimit(usage.jobs, limits?.maxJobsPerMonth)}</dd>
      <dt>Items this month</dt>
      <dd>{ofLimit(usage.items, limits?.maxItemsPerMonth)}</dd>
      {limits ? (
        <>
          <dt>Items per job</dt>
          <dd>{limits.maxItemsPerJob === null ? 'No limit' : `Up to ${formatCount(limits.maxItemsPerJob)}`}</dd>
          <dt>Model tiers</dt>
          <dd>{limits.allowedTiers.length ? limits.allowedTiers.join(', ') : 'None'}</dd>
        </>
      ) : null}
    </>
  );
}
