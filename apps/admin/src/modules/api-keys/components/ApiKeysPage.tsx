import { roleAtLeast, type CreatedApiKey } from '@margin/contracts';
import { useState } from 'react';
import { ErrorMessage } from '../../../shared/components/ErrorMessage';
import { LoadingState } from '../../../shared/components/LoadingState';
import { useMe } from '../../auth/hooks/useMe';
import { callerOf } from '../../auth/types/caller';
import { useApiKeys } from '../hooks/useApiKeys';
import { ApiKeysTable } from './ApiKeysTable';
import { CreateApiKeyForm } from './CreateApiKeyForm';
import { CreatedKeyPanel } from './CreatedKeyPanel';

export function ApiKeysPage() {
  const me = useMe();
  const keys = useApiKeys();
  // Only in component state: leaving the page forgets the secret for good.
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const role = me.data ? callerOf(me.data).role : undefined;
  const canManage = role !== undefined && roleAtLeast(role, 'admin');

  return (
    <>
      <div className="page-header">
        <h1>API keys</h1>
        <p className="muted">
          Keys let integrations call the Margin API as your tenant. Send one as <code>X-API-Key</code> or as a bearer token.
        </p>
      </div>

      {created ? <CreatedKeyPanel apiKey={created} onDismiss={() => setCreated(null)} /> : null}

      {me.isError ? (
        <ErrorMessage error={me.error} title="Could not load your account." onRetry={() => void me.refetch()} />
      ) : role === undefined ? null : canManage ? (
        <CreateApiKeyForm creatorRole={role} onCreated={setCreated} />
      ) : (
        <p className="notice notice--info">Only admins and owners of your tenant can create or revoke API keys.</p>
      )}

      <section className="section" aria-labelledby="api-keys-list-title">
        <h2 id="api-keys-list-title" className="section__title">
          Your tenant’s keys
        </h2>
        {keys.isPending ? (
          <LoadingState label="Loading API keys…" />
        ) : keys.isError ? (
          <ErrorMessage error={keys.error} title="Could not load API keys." onRetry={() => void keys.refetch()} />
        ) : keys.data.length === 0 ? (
          <div className="empty">
            <p className="empty__title">No API keys yet.</p>
            <p className="muted">
              {canManage ? 'Create one above to let an integration call the API.' : 'Ask an admin or owner of your tenant to create one.'}
            </p>
          </div>
        ) : (
          <ApiKeysTable keys={keys.data} canManage={canManage} />
        )}
      </section>
    </>
  );
}
