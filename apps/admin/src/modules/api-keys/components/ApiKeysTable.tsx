import type { ApiKeyView } from '@margin/contracts';
import { useState } from 'react';
import { Badge } from '../../../shared/components/Badge';
import { ErrorMessage } from '../../../shared/components/ErrorMessage';
import { formatDateTime } from '../../../shared/format/dates';
import { roleLabel } from '../../../shared/format/labels';
import { useRevokeApiKey } from '../hooks/useApiKeys';
import { apiKeyStatus } from '../types/apiKeyStatus';

interface ApiKeysTableProps {
  keys: ApiKeyView[];
  canManage: boolean;
}

export function ApiKeysTable({ keys, canManage }: ApiKeysTableProps) {
  const revokeMutation = useRevokeApiKey();
  const [confirmingId, setConfirmingId] = useState<string | null>(null);

  const startConfirm = (id: string): void => {
    revokeMutation.reset();
    setConfirmingId(id);
  };

  const confirmRevoke = (id: string): void => {
    revokeMutation.mutate(id, { onSuccess: () => setConfirmingId(null) });
  };

  return (
    <>
      {revokeMutation.isError ? (
        <ErrorMessage error={revokeMutation.error} title="Could not revoke the key." />
      ) : null}
      <div className="table-wrap" role="region" aria-label="API keys table" tabIndex={0}>
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Key</th>
              <th scope="col">Role</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">Status</th>
              {canManage ? (
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              ) : null}
            </tr>
          </thead>
          <tbody>
            {keys.map((key) => {
              const status = apiKeyStatus(key);
              const confirming = confirmingId === key.id;
              const revoking = confirming && revokeMutation.isPending;
              return (
                <tr key={key.id} className={status === 'revoked' ? 'table__row--muted' : undefined}>
                  <th scope="row" className="table__name">
                    {key.name}
                  </th>
                  <td>
                    <code>{key.prefix}…</code>
                  </td>
                  <td>{roleLabel(key.role)}</td>
                  <td>
                    <time dateTime={key.createdAt}>{formatDateTime(key.createdAt)}</time>
                  </td>
                  <td>{key.lastUsedAt ? <time dateTime={key.lastUsedAt}>{formatDateTime(key.lastUsedAt)}</time> : 'Never'}</td>
                  <td>
                    {status === 'active' ? (
                      <Badge tone="success">Active</Badge>
                    ) : (
                      <span title={`Revoked ${formatDateTime(key.revokedAt)}`}>
                        <Badge tone="danger">Revoked</Badge>
                      </span>
                    )}
                  </td>
                  {canManage ? (
                    <td className="table__actions">
                      {status === 'revoked' ? null : confirming ? (
                        <span className="confirm" role="group" aria-label={`Confirm revoking ${key.name}`}>
                          <span className="confirm__text">Revoke? Integrations using it stop working at once.</span>
                          <button
                            type="button"
                            className="button button--danger button--small"
                            disabled={revoking}
                            onClick={() => confirmRevoke(key.id)}
                          >
                            {revoking ? 'Revoking…' : 'Confirm revoke'}
                          </button>
                          <button
                            type="button"
                            className="button button--secondary button--small"
                            disabled={revoking}
                            onClick={() => setConfirmingId(null)}
                          >
                            Cancel
                          </button>
                        </span>
                      ) : (
                        <button
                          type="button"
                          className="button button--danger-outline button--small"
                          onClick={() => startConfirm(key.id)}
                        >
                          Revoke<span className="visually-hidden"> {key.name}</span>
                        </button>
                      )}
                    </td>
                  ) : null}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </>
  );
}
