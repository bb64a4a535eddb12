import { EXPORT_FORMATS, type DatasetView, type ExampleFiltersQuery, type ExportFormat } from '@margin/contracts';
import { useId, useState, type FormEvent } from 'react';
import { ApiError } from '../../../shared/api/client';
import { ErrorMessage } from '../../../shared/components/ErrorMessage';
import { LoadingState } from '../../../shared/components/LoadingState';
import { saveBlob } from '../../../shared/files/saveBlob';
import { formatDateTime } from '../../../shared/format/dates';
import { formatCount } from '../../../shared/format/money';
import { splitApiErrors } from '../../publishing/types/apiFieldErrors';
import { downloadDataset } from '../api/trainingApi';
import { useCreateDataset, useDatasets } from '../hooks/useTraining';

const NAME = /^[a-z0-9][a-z0-9_-]{0,99}$/;

function describeFilters(filters: Record<string, unknown>): string {
  const parts = Object.entries(filters)
    .filter(([, value]) => value !== undefined && value !== null && value !== '')
    .map(([key, value]) => `${key}=${String(value)}`);
  return parts.length ? parts.join(', ') : 'all examples';
}

function FreezeForm({ filters }: { filters: ExampleFiltersQuery }) {
  const id = useId();
  const create = useCreateDataset();
  const [name, setName] = useState('');
  const [format, setFormat] = useState<ExportFormat>('openai-jsonl');
  const [dedupe, setDedupe] = useState(true);
  const [nameError, setNameError] = useState<string | null>(null);
  const server = splitApiErrors(create.error, { name: ['name'], format: ['format'] });
  const nameMessage = nameError ?? server.byField.name;

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (!NAME.test(name)) {
      setNameError('Lowercase letters, digits, - and _ (at most 100), starting with a letter or digit.');
      return;
    }
    setNameError(null);
    create.mutate({ name, format, dedupe, filters }, { onSuccess: () => setName('') });
  };

  return (
    <form className="form form--inline" onSubmit={onSubmit} noValidate aria-label="Freeze as dataset">
      <div className="field">
        <label htmlFor={`${id}-name`}>Dataset name</label>
        <input
          id={`${id}-name`}
          type="text"
          value={name}
          placeholder="songs-approved"
          aria-invalid={nameMessage ? true : undefined}
          aria-describedby={nameMessage ? `${id}-name-error` : undefined}
          onChange={(event) => setName(event.target.value)}
        />
        {nameMessage ? (
          <p id={`${id}-name-error`} className="field__error">
            {nameMessage}
          </p>
        ) : null}
      </div>
      <div className="field field--narrow">
        <label htmlFor={`${id}-format`}>Format</label>
        <select id={`${id}-format`} value={format} onChange={(event) => setFormat(event.target.value as ExportFormat)}>
          {EXPORT_FORMATS.map((f) => (
            <option key={f} value={f}>
              {f}
            </option>
          ))}
        </select>
      </div>
      <div className="checkbox">
        <input id={`${id}-dedupe`} type="checkbox" checked={dedupe} onChange={(event) => setDedupe(event.target.checked)} />
        <label htmlFor={`${id}-dedupe`}>One per input</label>
      </div>
      <button type="submit" className="button button--primary" disabled={create.isPending}>
        {create.isPending ? 'Freezing…' : 'Freeze as dataset'}
      </button>
      {server.rest.length > 0 ? (
        <ErrorMessage error={new ApiError(400, server.rest, null)} title="Could not freeze the dataset." />
      ) : create.isError && !server.byField.name && !server.byField.format ? (
        <ErrorMessage error={create.error} title="Could not freeze the dataset." />
      ) : null}
      {create.data ? (
        <p className="muted small" role="status">
          Froze {create.data.name} v{create.data.version}: {formatCount(create.data.examples)} examples.
        </p>
      ) : null}
    </form>
  );
}

/** Frozen exports: each freeze of a name is its next version, its records fixed. */
export function DatasetsSection({ filters, canWrite }: { filters: ExampleFiltersQuery; canWrite: boolean }) {
  const datasets = useDatasets();
  const [error, setError] = useState<unknown>(null);

  const download = async (dataset: DatasetView) => {
    setError(null);
    try {
      saveBlob(await downloadDataset(dataset.id), `${dataset.name}-v${dataset.version}-${dataset.format}.jsonl`);
    } catch (caught) {
      setError(caught);
    }
  };

  return (
    <section className="section" aria-labelledby="datasets-title">
      <h2 id="datasets-title" className="section__title">
        Datasets
      </h2>
      {canWrite ? (
        <>
          <p className="muted small">Freezing keeps the examples matching the filters above as the next version of a named dataset.</p>
          <FreezeForm filters={filters} />
        </>
      ) : null}
      {error ? <ErrorMessage error={error} title="Could not download the dataset." /> : null}
      {datasets.isPending ? (
        <LoadingState label="Loading datasets…" />
      ) : datasets.isError ? (
        <ErrorMessage error={datasets.error} title="Could not load the datasets." onRetry={() => void datasets.refetch()} />
      ) : datasets.data.length === 0 ? (
        <p className="muted">No datasets yet.</p>
      ) : (
        <div className="table-wrap" role="region" aria-label="Datasets table" tabIndex={0}>
          <table className="table table--compact">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col" className="num">
                  Version
                </th>
                <th scope="col">Format</th>
                <th scope="col" className="num">
                  Examples
                </th>
                <th scope="col">Filters</th>
                <th scope="col">Frozen</th>
                <th scope="col">
                  <span className="visually-hidden">Download</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {datasets.data.map((d) => (
                <tr key={d.id}>
                  <th scope="row">{d.name}</th>
                  <td className="num">{d.version}</td>
                  <td>{d.format}</td>
                  <td className="num">{formatCount(d.examples)}</td>
                  <td className="table__wrap-cell small">{describeFilters(d.filters)}</td>
                  <td className="nowrap">{formatDateTime(d.createdAt)}</td>
                  <td className="table__actions">
                    <button type="button" className="button button--secondary button--small" onClick={() => void download(d)}>
                      Download<span className="visually-hidden"> {`${d.name} v${d.version}`}</span>
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
