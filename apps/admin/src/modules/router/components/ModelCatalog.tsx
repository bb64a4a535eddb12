import type { ModelTier, ModelView } from '@margin/contracts';
import { Fragment, useEffect, useRef, useState } from 'react';
import { Badge, type BadgeTone } from '../../../shared/components/Badge';
import { formatCompact, formatCount, formatUsd } from '../../../shared/format/money';
import { ModelEditForm } from './ModelEditForm';

interface ModelCatalogProps {
  models: ModelView[];
  /** Operator admins change the installation-wide catalog; everyone else reads it. */
  canEdit: boolean;
}

export const TIER_TONES: Record<ModelTier, BadgeTone> = {
  local: 'success',
  cheap: 'neutral',
  standard: 'accent',
  premium: 'warning',
};

// Model, tier, context, three prices, limits and the actions column.
const COLUMNS = 8;

function limits(model: ModelView): string {
  const parts = [
    model.rpm !== null ? `${formatCount(model.rpm)} rpm` : null,
    model.tpm !== null ? `${formatCompact(model.tpm)} tpm` : null,
    model.maxConcurrency !== null ? `${formatCount(model.maxConcurrency)} at once` : null,
  ].filter((part): part is string => part !== null);
  return parts.length ? parts.join(' · ') : 'None';
}

export function ModelCatalog({ models, canEdit }: ModelCatalogProps) {
  const [editingId, setEditingId] = useState<string | null>(null);
  const [savedMessage, setSavedMessage] = useState('');
  const editButtons = useRef(new Map<string, HTMLButtonElement>());
  const returnFocusTo = useRef<string | null>(null);

  useEffect(() => {
    if (editingId === null && returnFocusTo.current) {
      editButtons.current.get(returnFocusTo.current)?.focus();
      returnFocusTo.current = null;
    }
  }, [editingId]);

  const close = (message = ''): void => {
    returnFocusTo.current = editingId;
    setSavedMessage(message);
    setEditingId(null);
  };

  if (models.length === 0) {
    return (
      <div className="empty">
        <p className="empty__title">The catalog is empty.</p>
        <p className="muted">Models appear here once a provider is configured.</p>
      </div>
    );
  }

  return (
    <>
      <p className="small" role="status">
        {savedMessage}
      </p>
      <div className="table-wrap" role="region" aria-label="Model catalog table" tabIndex={0}>
        <table className="table table--compact">
          <thead>
            <tr>
              <th scope="col">Model</th>
              <th scope="col">Tier</th>
              <th scope="col" className="num">
                Context
              </th>
              <th scope="col" className="num">
                <abbr title="USD per million input tokens">In /1M</abbr>
              </th>
              <th scope="col" className="num">
                <abbr title="USD per million cached input tokens">Cached /1M</abbr>
              </th>
              <th scope="col" className="num">
                <abbr title="USD per million output tokens">Out /1M</abbr>
              </th>
              <th scope="col">Limits</th>
              {canEdit ? (
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              ) : null}
            </tr>
          </thead>
          <tbody>
            {models.map((model) => {
              const editing = canEdit && editingId === model.id;
              return (
                <Fragment key={model.id}>
                  <tr className={model.enabled ? undefined : 'table__row--muted'}>
                    <th scope="row" className="table__name">
                      <code>{model.id}</code>
                      {model.enabled ? null : (
                        <>
                          {' '}
                          <Badge tone="danger">Disabled</Badge>
                        </>
                      )}
                    </th>
                    <td>
                      <Badge tone={TIER_TONES[model.tier]}>{model.tier}</Badge>
                    </td>
                    <td className="num" title={`${formatCount(model.contextWindow)} tokens`}>
                      {formatCompact(model.contextWindow)}
                    </td>
                    <td className="num">{formatUsd(model.price?.inputPerMTok, 'No price')}</td>
                    <td className="num">{formatUsd(model.price?.cachedInputPerMTok, '—')}</td>
                    <td className="num">{formatUsd(model.price?.outputPerMTok, '—')}</td>
                    <td className="small table__limits">{limits(model)}</td>
                    {canEdit ? (
                      <td className="table__actions">
                        <button
                          type="button"
                          className="button button--secondary button--small"
                          aria-expanded={editing}
                          ref={(node) => {
                            if (node) editButtons.current.set(model.id, node);
                            else editButtons.current.delete(model.id);
                          }}
                          onClick={() => {
                            setSavedMessage('');
                            setEditingId(editing ? null : model.id);
                          }}
                        >
                          Edit<span className="visually-hidden"> {model.id}</span>
                        </button>
                      </td>
                    ) : null}
                  </tr>
                  {editing ? (
                    <tr className="table__edit-row">
                      <td colSpan={COLUMNS}>
                        <ModelEditForm model={model} onSaved={() => close(`${model.id} saved.`)} onCancel={() => close()} />
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
