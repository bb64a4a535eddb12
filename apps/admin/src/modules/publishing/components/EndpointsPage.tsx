import type { EndpointView } from '@margin/contracts';
import { useState } from 'react';
import { ErrorMessage } from '../../../shared/components/ErrorMessage';
import { LoadingState } from '../../../shared/components/LoadingState';
import { usePermissions } from '../../auth/hooks/usePermissions';
import { useEndpoints } from '../hooks/useEndpoints';
import { EndpointFormDialog } from './EndpointFormDialog';
import { EndpointsTable } from './EndpointsTable';

type Editing = { mode: 'create' } | { mode: 'edit'; endpoint: EndpointView } | null;

export function EndpointsPage() {
  const permissions = usePermissions();
  const canManage = permissions?.isAdmin ?? false;
  // The API shows endpoints to admins only: they hold the tenant's credentials for other platforms.
  const endpoints = useEndpoints({ enabled: canManage });
  const [editing, setEditing] = useState<Editing>(null);
  const [saved, setSaved] = useState<string | null>(null);

  const onSaved = (endpoint: EndpointView): void => {
    setSaved(editing?.mode === 'edit' ? `Endpoint “${endpoint.name}” saved.` : `Endpoint “${endpoint.name}” added.`);
    setEditing(null);
  };

  return (
    <>
      <div className="page-header page-header--actions">
        <div>
          <h1>Endpoints</h1>
          <p className="muted">Where posts are published: your own blog, WordPress, Ghost, Bluesky, Strapi or a signed webhook.</p>
        </div>
        {canManage ? (
          <button
            type="button"
            className="button button--primary"
            onClick={() => {
              setSaved(null);
              setEditing({ mode: 'create' });
            }}
          >
            Add endpoint
          </button>
        ) : null}
      </div>

      {permissions && !canManage ? (
        <p className="notice notice--info">
          Only admins and owners of your tenant can see and manage endpoints: they hold the credentials for your other platforms. Ask one of them to add or
          change an endpoint.
        </p>
      ) : null}
      <p className="small" role="status">
        {saved ?? ''}
      </p>

      {canManage ? (
        <section className="section" aria-labelledby="endpoints-list-title">
          <h2 id="endpoints-list-title" className="section__title">
            Your tenant’s endpoints
          </h2>
          {endpoints.isPending ? (
            <LoadingState label="Loading endpoints…" />
          ) : endpoints.isError ? (
            <ErrorMessage error={endpoints.error} title="Could not load the endpoints." onRetry={() => void endpoints.refetch()} />
          ) : endpoints.data.length === 0 ? (
            <div className="empty">
              <p className="empty__title">No endpoints yet.</p>
              <p className="muted">Add one to publish posts to it.</p>
            </div>
          ) : (
            <EndpointsTable endpoints={endpoints.data} canManage={canManage} onEdit={(endpoint) => setEditing({ mode: 'edit', endpoint })} />
          )}
        </section>
      ) : null}

      {editing?.mode === 'create' ? <EndpointFormDialog mode="create" onClose={() => setEditing(null)} onSaved={onSaved} /> : null}
      {editing?.mode === 'edit' ? <EndpointFormDialog mode="edit" endpoint={editing.endpoint} onClose={() => setEditing(null)} onSaved={onSaved} /> : null}
    </>
  );
}
