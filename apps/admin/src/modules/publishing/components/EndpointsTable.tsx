import type { EndpointTestResult, EndpointView } from '@margin/contracts';
import { Fragment, useEffect, useRef, useState } from 'react';
import { Badge } from '../../../shared/components/Badge';
import { ErrorMessage, errorMessagesOf } from '../../../shared/components/ErrorMessage';
import { useDeleteEndpoint, useTestEndpoint, useUpdateEndpoint } from '../hooks/useEndpoints';
import { endpointTypeLabel } from '../types/endpointForm';

interface EndpointsTableProps {
  endpoints: EndpointView[];
  canManage: boolean;
  onEdit: (endpoint: EndpointView) => void;
}

const COLUMNS = 5;

/** One row's "Test" outcome: the server's {ok, detail}, or why the request itself failed. */
type TestOutcome = { state: 'running' } | { state: 'done'; result: EndpointTestResult } | { state: 'error'; message: string };

function Destination({ endpoint }: { endpoint: EndpointView }) {
  if (endpoint.type === 'blog') {
    return (
      <span className="actions">
        {endpoint.publicUrl ? (
          <a href={endpoint.publicUrl} target="_blank" rel="noopener noreferrer">
            Public blog
          </a>
        ) : null}
        {endpoint.feedUrl ? (
          <a href={endpoint.feedUrl} target="_blank" rel="noopener noreferrer">
            RSS feed
          </a>
        ) : null}
        {!endpoint.publicUrl && !endpoint.feedUrl ? '—' : null}
      </span>
    );
  }
  return endpoint.url ? <code>{endpoint.url}</code> : <>—</>;
}

export function EndpointsTable({ endpoints, canManage, onEdit }: EndpointsTableProps) {
  const updateMutation = useUpdateEndpoint();
  const deleteMutation = useDeleteEndpoint();
  const testMutation = useTestEndpoint();
  const [tests, setTests] = useState<Record<string, TestOutcome>>({});
  const [confirmingId, setConfirmingId] = useState<string | null>(null);
  const [announcement, setAnnouncement] = useState('');
  const cancelButton = useRef<HTMLButtonElement>(null);

  // The safe choice gets focus, so a second Enter does not delete by accident.
  useEffect(() => {
    if (confirmingId) cancelButton.current?.focus();
  }, [confirmingId]);

  const runTest = (endpoint: EndpointView): void => {
    setTests((current) => ({ ...current, [endpoint.id]: { state: 'running' } }));
    // The promise, not mutate's callbacks: those only fire for the latest call, and rows are tested side by side.
    testMutation.mutateAsync(endpoint.id).then(
      (result) => setTests((current) => ({ ...current, [endpoint.id]: { state: 'done', result } })),
      (error: unknown) => setTests((current) => ({ ...current, [endpoint.id]: { state: 'error', message: errorMessagesOf(error).join(' ') } })),
    );
  };

  const toggleEnabled = (endpoint: EndpointView): void => {
    // Failures show through updateMutation.error; the promise only announces this row's success.
    updateMutation.mutateAsync({ id: endpoint.id, request: { enabled: !endpoint.enabled } }).then(
      () => setAnnouncement(`${endpoint.name} ${endpoint.enabled ? 'disabled' : 'enabled'}.`),
      () => undefined,
    );
  };

  const confirmDelete = (endpoint: EndpointView): void => {
    deleteMutation.mutate(endpoint.id, {
      onSuccess: () => {
        setConfirmingId(null);
        setAnnouncement(`Endpoint “${endpoint.name}” deleted.`);
      },
    });
  };

  return (
    <>
      {updateMutation.isError ? <ErrorMessage error={updateMutation.error} title="Could not change the endpoint." /> : null}
      {deleteMutation.isError ? <ErrorMessage error={deleteMutation.error} title="Could not delete the endpoint." /> : null}
      <p className="visually-hidden" role="status">
        {announcement}
      </p>
      <div className="table-wrap" role="region" aria-label="Endpoints table" tabIndex={0}>
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Type</th>
              <th scope="col">Destination</th>
              <th scope="col">Status</th>
              <th scope="col">Test</th>
              {canManage ? (
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              ) : null}
            </tr>
          </thead>
          <tbody>
            {endpoints.map((endpoint) => {
              const test = tests[endpoint.id];
              const confirming = canManage && confirmingId === endpoint.id;
              const deleting = confirming && deleteMutation.isPending;
              const toggling = updateMutation.isPending && updateMutation.variables?.id === endpoint.id;
              return (
                <Fragment key={endpoint.id}>
                  <tr className={endpoint.enabled ? undefined : 'table__row--muted'}>
                    <th scope="row" className="table__name">
                      {endpoint.name}
                    </th>
                    <td>{endpointTypeLabel(endpoint.type)}</td>
                    <td>
                      <Destination endpoint={endpoint} />
                    </td>
                    <td>{endpoint.enabled ? <Badge tone="success">Enabled</Badge> : <Badge>Disabled</Badge>}</td>
                    <td aria-live="polite">
                      {test?.state === 'running' ? (
                        <span className="muted small">Testing…</span>
                      ) : test?.state === 'done' ? (
                        <span className="small">
                          <Badge tone={test.result.ok ? 'success' : 'danger'}>{test.result.ok ? 'OK' : 'Failed'}</Badge> {test.result.detail}
                        </span>
                      ) : test?.state === 'error' ? (
                        <span className="small">
                          <Badge tone="danger">Error</Badge> {test.message}
                        </span>
                      ) : null}
                    </td>
                    {canManage ? (
                      <td className="table__actions">
                        <span className="actions">
                          <button
                            type="button"
                            className="button button--secondary button--small"
                            disabled={test?.state === 'running'}
                            onClick={() => runTest(endpoint)}
                          >
                            Test<span className="visually-hidden"> {endpoint.name}</span>
                          </button>
                          <button type="button" className="button button--secondary button--small" onClick={() => onEdit(endpoint)}>
                            Edit<span className="visually-hidden"> {endpoint.name}</span>
                          </button>
                          <button type="button" className="button button--secondary button--small" disabled={toggling} onClick={() => toggleEnabled(endpoint)}>
                            {endpoint.enabled ? 'Disable' : 'Enable'}
                            <span className="visually-hidden"> {endpoint.name}</span>
                          </button>
                          <button
                            type="button"
                            className="button button--danger-outline button--small"
                            aria-expanded={confirming}
                            disabled={deleting}
                            onClick={() => {
                              deleteMutation.reset();
                              setConfirmingId((current) => (current === endpoint.id ? null : endpoint.id));
                            }}
                          >
                            Delete<span className="visually-hidden"> {endpoint.name}</span>
                          </button>
                        </span>
                      </td>
                    ) : null}
                  </tr>
                  {confirming ? (
                    <tr className="table__confirm-row">
                      <td colSpan={COLUMNS + 1}>
                        <div className="confirm" role="group" aria-label={`Confirm deleting ${endpoint.name}`}>
                          <p className="confirm__text">
                            Delete <strong>{endpoint.name}</strong>? Posts are no longer sent there; copies already published stay on the platform.
                          </p>
                          <div className="confirm__actions">
                            <button type="button" className="button button--danger button--small" disabled={deleting} onClick={() => confirmDelete(endpoint)}>
                              {deleting ? 'Deleting…' : 'Confirm delete'}
                            </button>
                            <button
                              type="button"
                              ref={cancelButton}
                              className="button button--secondary button--small"
                              disabled={deleting}
                              onClick={() => setConfirmingId(null)}
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
