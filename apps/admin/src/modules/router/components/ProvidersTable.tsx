import type { ProviderView } from '@margin/contracts';
import { Fragment, useEffect, useRef, useState } from 'react';
import { Badge } from '../../../shared/components/Badge';
import { ErrorMessage } from '../../../shared/components/ErrorMessage';
import { formatDateTime } from '../../../shared/format/dates';
import { formatCount } from '../../../shared/format/money';
import { useUpdateProvider } from '../hooks/useRouter';
import { ProviderEditForm } from './ProviderEditForm';

interface ProvidersTableProps {
  providers: ProviderView[];
  /** Operator admins may enable, disable and re-point providers. */
  canEdit: boolean;
}

// Provider, base URL, health, models, status and the actions column.
const COLUMNS = 6;

export function ProvidersTable({ providers, canEdit }: ProvidersTableProps) {
  const toggle = useUpdateProvider();
  const [editingId, setEditingId] = useState<string | null>(null);
  const [message, setMessage] = useState('');
  const editButtons = useRef(new Map<string, HTMLButtonElement>());
  const returnFocusTo = useRef<string | null>(null);

  useEffect(() => {
    if (editingId === null && returnFocusTo.current) {
      editButtons.current.get(returnFocusTo.current)?.focus();
      returnFocusTo.current = null;
    }
  }, [editingId]);

  const close = (text = ''): void => {
    returnFocusTo.current = editingId;
    setMessage(text);
    setEditingId(null);
  };

  const setEnabled = (provider: ProviderView, enabled: boolean): void => {
    setMessage('');
    toggle.mutate({ id: provider.id, request: { enabled } }, { onSuccess: () => setMessage(`${provider.name} ${enabled ? 'enabled' : 'disabled'}.`) });
  };

  if (providers.length === 0) {
    return (
      <div className="empty">
        <p className="empty__title">No providers configured.</p>
        <p className="muted">Set OLLAMA_URL or a cloud API key in the environment, or add a provider through the API.</p>
      </div>
    );
  }

  return (
    <>
      {toggle.isError ? <ErrorMessage error={toggle.error} title="Could not change the provider." /> : null}
      <p className="small" role="status">
        {message}
      </p>
      <div className="table-wrap" role="region" aria-label="Providers table" tabIndex={0}>
        <table className="table table--compact">
          <thead>
            <tr>
              <th scope="col">Provider</th>
              <th scope="col">Base URL</th>
              <th scope="col">Health</th>
              <th scope="col">Models</th>
              <th scope="col">Status</th>
              {canEdit ? (
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              ) : null}
            </tr>
          </thead>
          <tbody>
            {providers.map((provider) => {
              const editing = canEdit && editingId === provider.id;
              const toggling = toggle.isPending && toggle.variables.id === provider.id;
              return (
                <Fragment key={provider.id}>
                  <tr className={provider.enabled ? undefined : 'table__row--muted'}>
                    <th scope="row" className="table__name table__provider">
                      {provider.name}
                      <span className="table__detail">
                        <code>{provider.id}</code> · {provider.kind} API
                        <br />
                        {provider.managedBy === 'env' ? 'From the environment' : 'Set by an admin'}
                      </span>
                    </th>
                    <td className="table__url">
                      <code>{provider.baseUrl}</code>
                    </td>
                    <td>
                      <span className="badges">
                        {provider.healthy ? <Badge tone="success">Healthy</Badge> : <Badge tone="danger">Unhealthy</Badge>}
                        {provider.emulated ? <Badge tone="warning">Emulated</Badge> : null}
                      </span>
                      <span className="table__detail" title={provider.checkedAt ? `Checked ${formatDateTime(provider.checkedAt)}` : undefined}>
                        {provider.latencyMs !== null ? `${formatCount(provider.latencyMs)} ms` : 'Not checked yet'}
                        {provider.error ? ` · ${provider.error}` : ''}
                      </span>
                    </td>
                    <td className="table__wrap-cell">
                      {provider.models.length === 0 ? (
                        <span className="muted">None found</span>
                      ) : (
                        <details className="models-list">
                          <summary>
                            {provider.models.length} model{provider.models.length === 1 ? '' : 's'}
                          </summary>
                          <ul>
                            {provider.models.map((model) => (
                              <li key={model}>
                                <code>{model}</code>
                              </li>
                            ))}
                          </ul>
                        </details>
                      )}
                    </td>
                    <td>{provider.enabled ? <Badge tone="success">Enabled</Badge> : <Badge tone="danger">Disabled</Badge>}</td>
                    {canEdit ? (
                      <td className="table__actions">
                        <span className="actions">
                          <button
                            type="button"
                            className="button button--secondary button--small"
                            aria-expanded={editing}
                            ref={(node) => {
                              if (node) editButtons.current.set(provider.id, node);
                              else editButtons.current.delete(provider.id);
                            }}
                            onClick={() => {
                              setMessage('');
                              setEditingId(editing ? null : provider.id);
                            }}
                          >
                            Edit<span className="visually-hidden"> provider {provider.id}</span>
                          </button>
                          <button
                            type="button"
                            className={`button button--small ${provider.enabled ? 'button--danger-outline' : 'button--secondary'}`}
                            disabled={toggling}
                            onClick={() => setEnabled(provider, !provider.enabled)}
                          >
                            {provider.enabled ? 'Disable' : 'Enable'}
                            <span className="visually-hidden"> provider {provider.id}</span>
                          </button>
                        </span>
                      </td>
                    ) : null}
                  </tr>
                  {editing ? (
                    <tr className="table__edit-row">
                      <td colSpan={COLUMNS}>
                        <ProviderEditForm provider={provider} onSaved={(saved) => close(`${saved.name} saved.`)} onCancel={() => close()} />
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
