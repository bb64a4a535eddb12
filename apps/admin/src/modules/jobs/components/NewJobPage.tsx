import type { ProfileView } from '@margin/contracts';
import { useId, useMemo, useRef, useState, type ChangeEvent, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { ErrorMessage } from '../../../shared/components/ErrorMessage';
import { LoadingState } from '../../../shared/components/LoadingState';
import { useDebouncedValue } from '../../../shared/hooks/useDebouncedValue';
import { formatCount } from '../../../shared/format/money';
import { usePermissions } from '../../auth/hooks/usePermissions';
import type { SubmitJobRequest } from '../api/jobsApi';
import { useJobEstimate, useProfiles, useSubmitJob } from '../hooks/useJobs';
import { autoMap, mapItems, unmappedRequired, unusedColumns, type ColumnMapping } from '../types/columnMapping';
import { inputFieldsOf } from '../types/inputSchema';
import { formatLabel, parseItemsText } from '../types/itemsInput';
import { fingerprint, parseBudget, PRIORITY_CHOICES, readFileText, type PriorityChoice } from '../types/newJobForm';
import { ColumnMappingFields } from './ColumnMappingFields';
import { EstimatePanel } from './EstimatePanel';
import { ItemProblems } from './ItemProblems';
import { ItemsPreview } from './ItemsPreview';

/** How long the items must stay unchanged before an estimate is asked for. */
const ESTIMATE_DEBOUNCE_MS = 400;

export function NewJobPage() {
  const profiles = useProfiles();
  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb small">
        <Link to="/jobs">Jobs</Link> <span aria-hidden="true">/</span> <span aria-current="page">New job</span>
      </nav>
      <div className="page-header">
        <h1>New job</h1>
        <p className="muted">Pick a profile, give it items as CSV or JSON, check the preview and the estimate, then submit.</p>
      </div>
      {profiles.isPending ? (
        <LoadingState label="Loading profiles…" />
      ) : profiles.isError ? (
        <ErrorMessage error={profiles.error} title="Could not load the profiles." onRetry={() => void profiles.refetch()} />
      ) : profiles.data.length === 0 ? (
        <div className="empty">
          <p className="empty__title">No profiles.</p>
          <p className="muted">A job runs its items through a profile; none is available to your account.</p>
        </div>
      ) : (
        <NewJobForm profiles={profiles.data} />
      )}
    </>
  );
}

type Source = { kind: 'paste' } | { kind: 'file'; name: string; text: string };

function NewJobForm({ profiles }: { profiles: ProfileView[] }) {
  const navigate = useNavigate();
  const permissions = usePermissions();
  const submit = useSubmitJob();
  const id = useId();

  const [profileKey, setProfileKey] = useState(profiles[0].key);
  const [pasted, setPasted] = useState('');
  const [source, setSource] = useState<Source>({ kind: 'paste' });
  const [fileError, setFileError] = useState<string | null>(null);
  const [overrides, setOverrides] = useState<ColumnMapping>({});
  const [name, setName] = useState('');
  const [priority, setPriority] = useState<PriorityChoice>('auto');
  const [budgetText, setBudgetText] = useState('');
  const [attempted, setAttempted] = useState(false);
  const problemsRef = useRef<HTMLElement>(null);
  const budgetRef = useRef<HTMLInputElement>(null);
  const sourceRef = useRef<HTMLTextAreaElement>(null);

  const profile = profiles.find((candidate) => candidate.key === profileKey) ?? profiles[0];
  const fields = useMemo(() => inputFieldsOf(profile.inputSchema), [profile]);
  const text = source.kind === 'file' ? source.text : pasted;
  const parsed = useMemo(() => parseItemsText(text), [text]);
  const columns = useMemo(() => (parsed?.ok ? parsed.columns : []), [parsed]);

  // Same-named columns are mapped for you; a choice the person made wins while its column still exists.
  const mapping = useMemo(() => {
    const auto = autoMap(fields, columns);
    for (const field of fields) {
      const chosen = overrides[field.name];
      if (chosen !== undefined && (chosen === '' || columns.includes(chosen))) auto[field.name] = chosen;
    }
    return auto;
  }, [fields, columns, overrides]);

  const mapped = useMemo(() => (parsed?.ok ? mapItems(parsed.format, parsed.rows, fields, mapping) : []), [parsed, fields, mapping]);
  const missingFields = unmappedRequired(fields, mapping);
  const invalid = useMemo(() => mapped.filter((item) => item.problems.length > 0), [mapped]);
  const budget = parseBudget(budgetText);

  const itemsReady = parsed?.ok === true && mapped.length > 0 && missingFields.length === 0 && invalid.length === 0;
  const waitingFor = !parsed
    ? 'The estimate appears once there are items.'
    : !parsed.ok
      ? 'The estimate appears once the items can be read.'
      : mapped.length === 0
        ? 'The estimate appears once there is at least one item.'
        : missingFields.length > 0
          ? 'The estimate appears once every required field has a column.'
          : invalid.length > 0
            ? 'The estimate appears once every item is valid.'
            : null;

  const estimateRequest = useMemo((): { body: SubmitJobRequest; key: string } | null => {
    if (!itemsReady) return null;
    const body: SubmitJobRequest = { profile: profile.key, items: mapped.map((item) => item.item) };
    return { body, key: fingerprint(JSON.stringify(body)) };
  }, [itemsReady, profile.key, mapped]);
  const debouncedRequest = useDebouncedValue(estimateRequest, ESTIMATE_DEBOUNCE_MS);
  // Until the debounce settles on the current items, an older estimate would be for other items.
  const settled = debouncedRequest?.key === estimateRequest?.key ? debouncedRequest : null;
  const estimate = useJobEstimate(settled?.body ?? null, settled?.key ?? '');

  const onFile = async (event: ChangeEvent<HTMLInputElement>): Promise<void> => {
    const file = event.target.files?.[0];
    if (!file) return;
    setFileError(null);
    try {
      setSource({ kind: 'file', name: file.name, text: await readFileText(file) });
    } catch (error) {
      setFileError(error instanceof Error ? error.message : 'The file could not be read.');
    }
  };

  const onSubmit = (event: FormEvent<HTMLFormElement>): void => {
    event.preventDefault();
    if (submit.isPending) return;
    setAttempted(true);
    if (!itemsReady) {
      if (invalid.length > 0) problemsRef.current?.focus();
      else sourceRef.current?.focus();
      return;
    }
    if (!budget.ok) {
      budgetRef.current?.focus();
      return;
    }
    const request: SubmitJobRequest = {
      profile: profile.key,
      priority,
      items: mapped.map((item) => item.item),
      ...(name.trim() ? { name: name.trim() } : {}),
      ...(budget.value !== undefined ? { budgetUsd: budget.value } : {}),
    };
    submit.mutate(request, { onSuccess: (response) => void navigate(`/jobs/${response.id}`) });
  };

  const canSubmit = permissions?.canRunJobs ?? false;
  const sourceText =
    source.kind === 'file'
      ? `Items are read from the file ${source.name}.`
      : pasted.trim()
        ? 'Items are read from the pasted text.'
        : 'Paste items or upload a file.';

  return (
    <form className="new-job" onSubmit={onSubmit} noValidate aria-label="New job">
      <section className="card" aria-labelledby={`${id}-items-title`}>
        <h2 id={`${id}-items-title`} className="card__title">
          Profile and items
        </h2>
        <div className="field field--wide">
          <label htmlFor={`${id}-profile`}>Profile</label>
          <select
            id={`${id}-profile`}
            value={profile.key}
            aria-describedby={`${id}-profile-hint`}
            onChange={(event) => {
              setProfileKey(event.target.value);
              setOverrides({});
            }}
          >
            {profiles.map((candidate) => (
              <option key={candidate.key} value={candidate.key}>
                {candidate.name} ({candidate.key})
              </option>
            ))}
          </select>
          <p id={`${id}-profile-hint`} className="field__hint">
            {profile.description} Input fields: {fields.map((field) => `${field.name}${field.required ? '' : ' (optional)'}`).join(', ') || 'none'}.
          </p>
        </div>

        <div className="source">
          <div className="field field--wide">
            <label htmlFor={`${id}-paste`}>Paste CSV or JSON</label>
            <textarea
              id={`${id}-paste`}
              ref={sourceRef}
              className="source__text"
              rows={8}
              spellCheck={false}
              placeholder={`${fields.map((field) => field.name).join(',')}\n…`}
              value={pasted}
              aria-describedby={`${id}-paste-hint`}
              onChange={(event) => {
                setPasted(event.target.value);
                setSource({ kind: 'paste' });
              }}
            />
            <p id={`${id}-paste-hint`} className="field__hint">
              CSV with a header row (lists in a cell separated by “;”), a JSON array of objects, or JSON lines.
            </p>
          </div>
          <div className="field">
            <label htmlFor={`${id}-file`}>Upload a CSV or JSON file</label>
            <input id={`${id}-file`} type="file" accept=".csv,.json,.jsonl,text/csv,application/json" onChange={(event) => void onFile(event)} />
            {fileError ? <p className="field__error">{fileError}</p> : null}
          </div>
        </div>
        <p className="small" role="status">
          {sourceText}
          {parsed?.ok ? ` ${formatLabel(parsed.format)}, ${formatCount(parsed.rows.length)} ${parsed.rows.length === 1 ? 'item' : 'items'}.` : ''}
        </p>
        {source.kind === 'file' && pasted.trim() ? (
          <p>
            <button type="button" className="button button--secondary button--small" onClick={() => setSource({ kind: 'paste' })}>
              Use the pasted text instead
            </button>
          </p>
        ) : null}
        {parsed && !parsed.ok ? (
          <div className="notice notice--error" role="alert">
            <p className="notice__title">The items could not be read.</p>
            <p>{parsed.error}</p>
          </div>
        ) : null}
        {attempted && !parsed ? (
          <p className="field__error" role="alert">
            Add at least one item before submitting.
          </p>
        ) : null}
      </section>

      {parsed?.ok ? (
        <>
          {parsed.rows.length === 0 ? (
            <div className="notice notice--warning">
              <p>There are column names but no items under them.</p>
            </div>
          ) : (
            <ItemsPreview format={parsed.format} columns={parsed.columns} rows={parsed.rows} mapped={mapped} />
          )}
          <section className="card" aria-labelledby={`${id}-mapping-title`}>
            <h2 id={`${id}-mapping-title`} className="card__title">
              Column mapping
            </h2>
            <ColumnMappingFields
              fields={fields}
              columns={parsed.columns}
              mapping={mapping}
              unused={unusedColumns(parsed, mapping)}
              onChange={(field, column) => setOverrides((current) => ({ ...current, [field]: column }))}
            />
          </section>
          {invalid.length > 0 ? <ItemProblems ref={problemsRef} invalid={invalid} /> : null}
        </>
      ) : null}

      <div className="cards cards--wide">
        <section className="card" aria-labelledby={`${id}-options-title`}>
          <h2 id={`${id}-options-title`} className="card__title">
            Options
          </h2>
          <div className="field">
            <label htmlFor={`${id}-name`}>Job name</label>
            <input
              id={`${id}-name`}
              type="text"
              maxLength={200}
              autoComplete="off"
              value={name}
              aria-describedby={`${id}-name-hint`}
              onChange={(event) => setName(event.target.value)}
            />
            <p id={`${id}-name-hint`} className="field__hint">
              Optional. Priority rules can match on it.
            </p>
          </div>
          <div className="form__row">
            <div className="field">
              <label htmlFor={`${id}-priority`}>Priority</label>
              <select id={`${id}-priority`} value={priority} onChange={(event) => setPriority(event.target.value as PriorityChoice)}>
                {PRIORITY_CHOICES.map((choice) => (
                  <option key={choice.value} value={choice.value}>
                    {choice.label}
                  </option>
                ))}
              </select>
            </div>
            <div className="field field--price">
              <label htmlFor={`${id}-budget`}>Budget (USD)</label>
              <input
                id={`${id}-budget`}
                ref={budgetRef}
                type="text"
                inputMode="decimal"
                autoComplete="off"
                placeholder="No limit"
                value={budgetText}
                aria-invalid={!budget.ok ? true : undefined}
                aria-describedby={`${id}-budget-hint${!budget.ok ? ` ${id}-budget-error` : ''}`}
                onChange={(event) => setBudgetText(event.target.value)}
              />
              <p id={`${id}-budget-hint`} className="field__hint">
                The most this job may spend.
              </p>
              {!budget.ok ? (
                <p id={`${id}-budget-error`} className="field__error">
                  {budget.error}
                </p>
              ) : null}
            </div>
          </div>
        </section>

        <EstimatePanel
          waitingFor={waitingFor}
          estimate={settled ? estimate.data : undefined}
          isFetching={estimate.isFetching}
          error={estimate.isError ? estimate.error : null}
          onRetry={() => void estimate.refetch()}
          itemCount={mapped.length}
        />
      </div>

      {submit.isError ? <ErrorMessage error={submit.error} title="The job was not submitted." /> : null}
      {attempted && parsed?.ok && !itemsReady ? (
        <p className="field__error" role="alert">
          {missingFields.length > 0
            ? `Choose a column for ${missingFields.map((field) => field.name).join(', ')} before submitting.`
            : invalid.length > 0
              ? 'Fix the problems in the items before submitting.'
              : 'Add at least one item before submitting.'}
        </p>
      ) : null}

      <div className="form__actions new-job__actions">
        {canSubmit ? (
          <button type="submit" className="button button--primary" disabled={submit.isPending}>
            {submit.isPending ? 'Submitting…' : 'Submit job'}
          </button>
        ) : permissions ? (
          <p className="muted">Viewers can check items and estimates; a member or admin submits the job.</p>
        ) : null}
        <Link to="/jobs" className="button button--secondary">
          Cancel
        </Link>
      </div>
    </form>
  );
}
