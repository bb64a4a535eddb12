import { COMPLEXITIES, type Complexity, type ModelView, type RoutingPolicyView } from '@margin/contracts';
import { useEffect, useMemo, useRef, useState } from 'react';
import { Badge } from '../../../shared/components/Badge';
import type { Permissions } from '../../auth/types/permissions';
import { COMPLEXITY_LABELS, policyMatrix, type MatrixCell } from '../types/policyMatrix';
import { PolicyCellEditor } from './PolicyCellEditor';
import { PolicyChain } from './PolicyChain';

interface PolicyMatrixProps {
  policy: RoutingPolicyView;
  /** The catalog, to pick candidates from; undefined while it loads. */
  models: ModelView[] | undefined;
  permissions: Permissions | undefined;
}

interface EditingCell {
  operation: string;
  complexity: Complexity;
}

const cellName = (cell: EditingCell): string => `${cell.operation}, ${cell.complexity}`;
const cellKey = (cell: EditingCell): string => `${cell.operation}|${cell.complexity}`;

export function PolicyMatrix({ policy, models, permissions }: PolicyMatrixProps) {
  const rows = useMemo(() => policyMatrix(policy), [policy]);
  const canEdit = permissions?.isAdmin ?? false;
  const [editing, setEditing] = useState<EditingCell | null>(null);
  const [savedMessage, setSavedMessage] = useState('');
  const editButtons = useRef(new Map<string, HTMLButtonElement>());
  const returnFocusTo = useRef<string | null>(null);

  // Closing the editor puts focus back on the cell's Edit button.
  useEffect(() => {
    if (editing === null && returnFocusTo.current) {
      editButtons.current.get(returnFocusTo.current)?.focus();
      returnFocusTo.current = null;
    }
  }, [editing]);

  const close = (message = ''): void => {
    if (editing) returnFocusTo.current = cellKey(editing);
    setSavedMessage(message);
    setEditing(null);
  };

  const editingCell: MatrixCell | null = editing ? (rows.find((row) => row.operation === editing.operation)?.cells[editing.complexity] ?? null) : null;

  if (rows.length === 0) {
    return (
      <div className="empty">
        <p className="empty__title">No routing policy yet.</p>
        <p className="muted">The operator has not defined any operation.</p>
      </div>
    );
  }

  return (
    <>
      <p className="muted small">
        Each cell lists the models tried in order: the first that is enabled, healthy, within its limits and affordable takes the call.{' '}
        {policy.tenant.length > 0 ? 'Cells marked “Tenant override” apply to your tenant only.' : 'Your tenant follows the global policy everywhere.'}
      </p>
      <p className="visually-hidden" role="status">
        {savedMessage}
      </p>
      <div className="table-wrap" role="region" aria-label="Routing policy table" tabIndex={0}>
        <table className="table matrix">
          <thead>
            <tr>
              <th scope="col">Operation</th>
              {COMPLEXITIES.map((complexity) => (
                <th scope="col" key={complexity}>
                  {COMPLEXITY_LABELS[complexity]}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.operation}>
                <th scope="row" className="table__name">
                  {row.operation}
                </th>
                {COMPLEXITIES.map((complexity) => {
                  const cell = row.cells[complexity];
                  const target = { operation: row.operation, complexity };
                  const isEditing = editing !== null && cellKey(editing) === cellKey(target);
                  return (
                    <td key={complexity} className={`matrix__cell${isEditing ? ' matrix__cell--editing' : ''}`}>
                      {cell.override ? (
                        <p className="matrix__badge">
                          <Badge tone="accent">Tenant override</Badge>
                        </p>
                      ) : null}
                      <PolicyChain cell={cell.effective} />
                      {canEdit ? (
                        <button
                          type="button"
                          className="button button--secondary button--small matrix__edit"
                          aria-expanded={isEditing}
                          ref={(node) => {
                            if (node) editButtons.current.set(cellKey(target), node);
                            else editButtons.current.delete(cellKey(target));
                          }}
                          onClick={() => {
                            setSavedMessage('');
                            setEditing(isEditing ? null : target);
                          }}
                        >
                          Edit<span className="visually-hidden"> {cellName(target)}</span>
                        </button>
                      ) : null}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {canEdit && editing && editingCell && permissions ? (
        <PolicyCellEditor
          key={cellKey(editing)}
          operation={editing.operation}
          complexity={editing.complexity}
          cell={editingCell}
          models={models ?? []}
          canEditGlobal={permissions.isOperatorAdmin}
          onDone={(message) => close(message)}
          onCancel={() => close()}
        />
      ) : null}
    </>
  );
}
