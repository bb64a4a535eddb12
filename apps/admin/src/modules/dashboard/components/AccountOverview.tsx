import { roleAtLeast, type MeResponse } from '@margin/contracts';
import { Link } from 'react-router-dom';
import { Badge } from '../../../shared/components/Badge';
import { formatDateTime, formatUtcDate } from '../../../shared/format/dates';
import { planLabel, roleLabel } from '../../../shared/format/labels';
import { callerOf } from '../../auth/types/caller';

/** Who is signed in, the tenant and its usage period. */
export function AccountOverview({ me }: { me: MeResponse }) {
  const caller = callerOf(me);
  const { user, tenant, usage } = me;

  return (
    <>
      <div className="cards">
        <section className="card" aria-labelledby="dash-user">
          <h2 id="dash-user" className="card__title">
            You
          </h2>
          <dl className="facts">
            <dt>{user ? 'Email' : 'Signed in as'}</dt>
            <dd>{caller.label}</dd>
            <dt>Role</dt>
            <dd>
              <Badge>{roleLabel(caller.role)}</Badge>
            </dd>
            {user ? (
              <>
                <dt>Member since</dt>
                <dd>{formatDateTime(user.createdAt)}</dd>
                <dt>Last sign-in</dt>
                <dd>{formatDateTime(user.lastLoginAt, 'Never')}</dd>
              </>
            ) : null}
            <dt>Signed in with</dt>
            <dd>{me.authenticatedVia === 'jwt' ? 'Email and password' : 'API key'}</dd>
          </dl>
        </section>

        <section className="card" aria-labelledby="dash-tenant">
          <h2 id="dash-tenant" className="card__title">
            Tenant
          </h2>
          <dl className="facts">
            <dt>Name</dt>
            <dd>{tenant.name}</dd>
            <dt>Plan</dt>
            <dd>
              <Badge tone="accent">{planLabel(tenant.plan)}</Badge>
              {tenant.isOperator ? (
                <>
                  {' '}
                  <Badge tone="warning">Operator</Badge>
                </>
              ) : null}
            </dd>
            <dt>Created</dt>
            <dd>{formatDateTime(tenant.createdAt)}</dd>
            <dt>Tenant ID</dt>
            <dd>
              <code>{tenant.id}</code>
            </dd>
          </dl>
        </section>

        <section className="card" aria-labelledby="dash-usage">
          <h2 id="dash-usage" className="card__title">
            Usage period
          </h2>
          <dl className="facts">
            <dt>Current period</dt>
            <dd>
              From <time dateTime={usage.periodStart}>{formatUtcDate(usage.periodStart)}</time>
            </dd>
            <dt>Quotas reset</dt>
            <dd>
              <time dateTime={usage.resetsAt}>{formatUtcDate(usage.resetsAt)}</time> (UTC)
            </dd>
          </dl>
          <p className="muted small">Monthly quotas and budgets start again when the period resets.</p>
        </section>
      </div>

      <section className="card card--inline" aria-labelledby="dash-next">
        <h2 id="dash-next" className="card__title">
          Call the API
        </h2>
        <p>
          Integrations authenticate with an API key sent as <code>X-API-Key</code> or as a bearer token.{' '}
          {roleAtLeast(caller.role, 'admin')
            ? 'Create one per integration, so each can be revoked on its own.'
            : 'An admin or owner of your tenant can create one for you.'}
        </p>
        <Link className="button button--secondary" to="/api-keys">
          Go to API keys
        </Link>
      </section>
    </>
  );
}
