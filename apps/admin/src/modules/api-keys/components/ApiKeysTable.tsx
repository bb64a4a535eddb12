import type { ApiKeyView } from '@margin/contracts';
import { Fragment, useEffect, useRef, useState } from 'react';
import { Badge } from '../../../shared/components/Badge';
import { ErrorMessage } from '../../../shared/components/ErrorMessage';
import { formatDate, formatDateTime } from '../../../shared/format/dates';
import { roleLabel } from '../../../shared/format/labels';
import { useRevokeApiKey } from '../hooks/useApiKeys';
import { apiKeyStatus } from '../types/apiKeyStatus';

interface ApiKeysTableProps {
  keys: ApiKeyView[];
  canManage: boolean;
}

const COLUMNS = 6;

export function ApiKeysTable({ keys, canManage }: ApiKeysTableProps) {
  const revokeMutation = useRevokeApiKey();
  const [confirmingId, setConfirmingId] = useState<string | null>(null);
  const [revokedName, setRevokedName] = useState<string | null>(null);
  const revokeButtons = useRef(new Map<string, HTMLButtonElement>());
  const cancelButton = useRef<HTMLButtonElement>(null);

  // The safe choice gets focus, so a second Enter does not revoke by accident.
  useEffect(() => {
    if (confirmingId) cancelButton.current?.focus();
  }, [confirmingId]);

  const toggleConfirm = (id: string): void => {
    revokeMutation.reset();
    setRevokedName(null);
    setConfirmingId((current) => (current === id ? null : id));
  };

  const cancel = (id: string): void => {
    setConfirmingId(null);
    revokeButtons.current.get(id)?.focus();
  };

  const confirmRevoke = (key: ApiKeyView): void => {
    revokeMutation.mutate(key.id, {
      onSuccess: () => {
        setConfirmingId(null);
        setRevokedName(key.name);
      },
    });
  };

  return (
    <>
      {revokeMutation.isError ? <ErrorMessage error={revokeMutation.error} title="Could not revoke the key." /> : null}
      <p className="visually-hidden" role="status">
        {revokedName ? `API key “${revokedName}” revoked.` : ''}
      </p>
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
              const confirming = canManage && status === 'active' && confirmingId === key.id;
              const revoking = confirming && revokeMutation.isPending;
              return (
                <Fragment key={key.id}>
                  <tr className={status === 'revoked' ? 'table__row--muted' : undefined}>
                    <th scope="row" className="table__name">
                      {key.name}
                    </th>
                    <td>
                      <code>{key.prefix}…</code>
                    </td>
                    <td>{roleLabel(key.role)}</td>
                    <td>
                      <time dateTime={key.createdAt} title={formatDateTime(key.createdAt)}>
                        {formatDate(key.createdAt)}
                      </time>
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
                        {status === 'active' ? (
                          <button
                            type="button"
                            className="button button--danger-outline button--small"
                            aria-expanded={confirming}
                            disabled={revoking}
                            ref={(node) => {
                              if (node) revokeButtons.current.set(key.id, node);
                              else revokeButtons.current.delete(key.id);
                            }}
                            onClick={() => toggleConfirm(key.id)}
                          >
                            Revoke<span className="visually-hidden"> {key.name}</span>
                          </button>
                        ) : null}
                      </td>
                    ) : null}
                  </tr>
                  {confirming ? (
                    <tr className="table__confirm-row">
                      <td colSpan={COLUMNS + 1}>
                        <div className="confirm" role="group" aria-label={`Confirm revoking ${key.name}`}>
                          <p className="confirm__text">
                            Revoke <strong>{key.name}</strong>? Integrations using this key stop working at once. This cannot be undone.
                          </p>
                          <div className="confirm__actions">
                            <button type="button" className="button button--danger button--small" disabled={revoking} onClick={() => confirmRevoke(key)}>
                              {revoking ? 'Revoking…' : 'Confirm revoke'}
                            </button>
                            <button
                              type="button"
                              ref={cancelButton}
                              className="button button--secondary button--small"
                              disabled={revoking}
                              onClick={() => cancel(key.id)}
                            >
                              Cancel
                            </button>
                          </div>
                        </div>
                      </td>
                    </tr>
                  ) : null}
                </Fragment>
              );
            })}
          </tbody>
        </table>
      </div>
    </>
  );
}
