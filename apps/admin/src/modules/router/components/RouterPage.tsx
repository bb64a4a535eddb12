import { useMemo } from 'react';
import { ApiError } from '../../../shared/api/client';
import { ErrorMessage } from '../../../shared/components/ErrorMessage';
import { LoadingState } from '../../../shared/components/LoadingState';
import { usePermissions } from '../../auth/hooks/usePermissions';
import { useModels, usePolicy, useProviders } from '../hooks/useRouter';
import { ModelCatalog } from './ModelCatalog';
import { PolicyMatrix } from './PolicyMatrix';
import { ProvidersTable } from './ProvidersTable';
import { RouteTester } from './RouteTester';

export function RouterPage() {
  const permissions = usePermissions();
  // hosts, health and keys of the installation's providers: the operator's admins only
  const canSeeProviders = permissions?.isOperatorAdmin ?? false;
  const providers = useProviders({ enabled: canSeeProviders });
  const models = useModels();
  const policy = usePolicy();
  const operations = useMemo(() => [...new Set(policy.data?.effective.map((cell) => cell.operation) ?? [])].sort((a, b) => a.localeCompare(b)), [policy.data]);

  return (
    <>
      <div className="page-header">
        <h1>Router</h1>
        <p className="muted">Which model each operation goes to, what the models cost, and what the router would pick for a call.</p>
      </div>

      <section className="section" aria-labelledby="router-providers-title">
        <h2 id="router-providers-title" className="section__title">
          Providers
        </h2>
        {permissions === undefined ? null : !canSeeProviders || (providers.error instanceof ApiError && providers.error.status === 403) ? (
          <p className="notice notice--info">Provider details (hosts, health, keys) are visible to the operator’s admins only.</p>
        ) : providers.isPending ? (
          <LoadingState label="Loading providers…" />
        ) : providers.isError ? (
          <ErrorMessage error={providers.error} title="Could not load the providers." onRetry={() => void providers.refetch()} />
        ) : (
          <>
            {permissions.isOperatorAdmin ? null : <p className="muted small">Providers are shared by every tenant: only the operator’s admins change them.</p>}
            <ProvidersTable providers={providers.data} canEdit={permissions.isOperatorAdmin} />
          </>
        )}
      </section>

      <section className="section" aria-labelledby="router-catalog-title">
        <h2 id="router-catalog-title" className="section__title">
          Model catalog
        </h2>
        {permissions && !permissions.isOperatorAdmin ? (
          <p className="muted small">Prices in USD per million tokens. Only the operator’s admins change the catalog.</p>
        ) : (
          <p className="muted small">Prices in USD per million tokens, shared by every tenant.</p>
        )}
        {models.isPending ? (
          <LoadingState label="Loading the model catalog…" />
        ) : models.isError ? (
          <ErrorMessage error={models.error} title="Could not load the model catalog." onRetry={() => void models.refetch()} />
        ) : (
          <ModelCatalog models={models.data} canEdit={permissions?.isOperatorAdmin ?? false} />
        )}
      </section>

      <section className="section" aria-labelledby="router-policy-title">
        <h2 id="router-policy-title" className="section__title">
          Routing policy
        </h2>
        {policy.isPending ? (
          <LoadingState label="Loading the routing policy…" />
        ) : policy.isError ? (
          <ErrorMessage error={policy.error} title="Could not load the routing policy." onRetry={() => void policy.refetch()} />
        ) : (
          <PolicyMatrix policy={policy.data} models={models.data} permissions={permissions} />
        )}
        {permissions && !permissions.isAdmin ? <p className="muted small">Only admins and owners can change the routing policy.</p> : null}
      </section>

      <section className="card" aria-labelledby="router-tester-title">
        <h2 id="router-tester-title" className="card__title">
          What would you route?
        </h2>
        <p className="muted small">Describe a call and see which model the router would choose for your tenant, the ones it would skip and why.</p>
        {policy.isPending ? <LoadingState label="Loading operations…" /> : <RouteTester key={operations.join(',')} operations={operations} />}
      </section>
    </>
  );
}
