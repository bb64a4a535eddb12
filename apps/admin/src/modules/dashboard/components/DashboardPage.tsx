import type { MeResponse } from '@margin/contracts';
import type { ReactNode } from 'react';
import { Link } from 'react-router-dom';
import { ErrorMessage } from '../../../shared/components/ErrorMessage';
import { AnalysisStats } from './AnalysisStats';
import { LoadingState } from '../../../shared/components/LoadingState';
import { formatUtcDate } from '../../../shared/format/dates';
import { useMe } from '../../auth/hooks/useMe';
import { permissionsOf } from '../../auth/types/permissions';
import { BudgetMeter } from '../../budget/components/BudgetMeter';
import { useBudget } from '../../budget/hooks/useBudget';
import { CostTotals } from '../../costs/components/CostTotals';
import { useCostSummary } from '../../costs/hooks/useCosts';
import { EmulatorNotice } from '../../health/components/EmulatorNotice';
import { RunningJobs } from '../../jobs/components/RunningJobs';
import { FiringAlerts } from '../../metrics/components/FiringAlerts';
import { spendByDay } from '../types/spendByDay';
import { AccountOverview } from './AccountOverview';
import { SpendBreakdown } from './SpendBreakdown';
import { SpendByDayChart } from './SpendByDayChart';

export function DashboardPage() {
  const me = useMe();

  return (
    <>
      <div className="page-header">
        <h1>Dashboard</h1>
        <p className="muted">Jobs running now, this month’s spend against your budget, where it went, and your account.</p>
      </div>

      <EmulatorNotice />

      <RunningJobs />

      <FiringAlerts />

      {me.isPending ? (
        <LoadingState label="Loading your account…" />
      ) : me.isError ? (
        <ErrorMessage error={me.error} title="Could not load your account." onRetry={() => void me.refetch()} />
      ) : (
        <>
          <SpendOverview me={me.data} />
          <AccountOverview me={me.data} />
        </>
      )}
    </>
  );
}

interface QueryLike<T> {
  isPending: boolean;
  isError: boolean;
  error: unknown;
  data: T | undefined;
  refetch: () => unknown;
}

/** Loading, error (with a retry) or the content, for one card. */
function Loaded<T>({ query, what, children }: { query: QueryLike<T>; what: string; children: (data: T) => ReactNode }) {
  if (query.isPending) return <LoadingState label={`Loading ${what}…`} />;
  if (query.isError || query.data === undefined) {
    return <ErrorMessage error={query.error} title={`Could not load ${what}.`} onRetry={() => void query.refetch()} />;
  }
  return <>{children(query.data)}</>;
}

function SpendOverview({ me }: { me: MeResponse }) {
  const from = me.usage.periodStart;
  const budget = useBudget();
  const byDay = useCostSummary({ groupBy: 'day', from });
  const byProvider = useCostSummary({ groupBy: 'provider', from });
  const byModel = useCostSummary({ groupBy: 'model', from });
  const canEditBudget = permissionsOf(me).isAdmin;

  return (
    <>
      <section className="card" aria-labelledby="dash-month">
        <h2 id="dash-month" className="card__title">
          This month{' '}
          <span className="muted card__subtitle">
            since <time dateTime={from}>{formatUtcDate(from)}</time>
          </span>
        </h2>
        <Loaded query={byDay} what="this month’s totals">
          {(summary) => <CostTotals summary={summary} label="Totals this month" />}
        </Loaded>
        <AnalysisStats from={from} />
      </section>

      <div className="cards cards--wide">
        <section className="card" aria-labelledby="dash-budget">
          <h2 id="dash-budget" className="card__title">
            Budget
          </h2>
          <Loaded query={budget} what="the budget">
            {(data) => <BudgetMeter budget={data} />}
          </Loaded>
          <p className="small">
            <Link to="/settings">{canEditBudget ? 'Change the budget' : 'Budget settings'}</Link>
          </p>
        </section>

        <section className="card" aria-labelledby="dash-daily">
          <h2 id="dash-daily" className="card__title">
            Spend by day
          </h2>
          <Loaded query={byDay} what="spend by day">
            {(summary) => <SpendByDayChart days={spendByDay(summary, from)} />}
          </Loaded>
        </section>
      </div>

      <div className="cards cards--wide">
        <section className="card" aria-labelledby="dash-providers">
          <h2 id="dash-providers" className="card__title">
            Spend by provider
          </h2>
          <Loaded query={byProvider} what="spend by provider">
            {(summary) => <SpendBreakdown summary={summary} keyLabel="Provider" label="Spend by provider" />}
          </Loaded>
        </section>
        <section className="card" aria-labelledby="dash-models">
          <h2 id="dash-models" className="card__title">
            Spend by model
          </h2>
          <Loaded query={byModel} what="spend by model">
            {(summary) => <SpendBreakdown summary={summary} keyLabel="Model" label="Spend by model" />}
          </Loaded>
          <p className="small">
            <Link to="/costs">See every call</Link>
          </p>
        </section>
      </div>
    </>
  );
}
