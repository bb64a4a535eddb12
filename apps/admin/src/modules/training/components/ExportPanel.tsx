import { EXPORT_FORMATS, type ExampleFiltersQuery, type ExportFormat } from '@margin/contracts';
import { useId, useState } from 'react';
import { ErrorMessage } from '../../../shared/components/ErrorMessage';
import { saveBlob } from '../../../shared/files/saveBlob';
import { downloadExport } from '../api/trainingApi';
import { exportFilename, type ExportOptions } from '../types/exampleFilters';

const FORMAT_LABELS: Record<ExportFormat, string> = {
  'openai-jsonl': 'OpenAI JSONL',
  'anthropic-jsonl': 'Anthropic JSONL',
  'hf-jsonl': 'Hugging Face JSONL',
};

/**
 * Fine-tuning files of the filtered examples: fetched with the session's token (a plain link would carry none),
 * read into a Blob and saved. With a split, the train and the validation part are two files.
 */
export function ExportPanel({ filters }: { filters: ExampleFiltersQuery }) {
  const id = useId();
  const [dedupe, setDedupe] = useState(false);
  const [splitOn, setSplitOn] = useState(false);
  const [splitPercent, setSplitPercent] = useState('90');
  const [busy, setBusy] = useState<ExportFormat | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);

  const percent = Number(splitPercent);
  const splitInvalid = splitOn && (!Number.isInteger(percent) || percent < 1 || percent > 99);

  const download = async (format: ExportFormat) => {
    if (splitInvalid) return;
    const options: ExportOptions = { format, dedupe, split: splitOn ? percent / 100 : undefined };
    setBusy(format);
    setError(null);
    setDone(null);
    try {
      const parts = options.split === undefined ? [undefined] : (['train', 'validation'] as const);
      for (const part of parts) saveBlob(await downloadExport(filters, options, part), exportFilename(format, part));
      setDone(parts.map((part) => exportFilename(format, part)).join(' and '));
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(null);
    }
  };

  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`} className="card__title">
        Export for fine-tuning
      </h2>
      <p className="muted small">Exports the examples matching the filters above (rating, approval and dates included), corrections applied.</p>
      <div className="form form--inline">
        <div className="checkbox">
          <input id={`${id}-dedupe`} type="checkbox" checked={dedupe} onChange={(event) => setDedupe(event.target.checked)} />
          <label htmlFor={`${id}-dedupe`}>One example per input (the best rated)</label>
        </div>
        <div className="checkbox">
          <input id={`${id}-split`} type="checkbox" checked={splitOn} onChange={(event) => setSplitOn(event.target.checked)} />
          <label htmlFor={`${id}-split`}>Split into train and validation</label>
        </div>
        {splitOn ? (
          <div className="field field--narrow">
            <label htmlFor={`${id}-share`}>Train share (%)</label>
            <input
              id={`${id}-share`}
              type="number"
              min={1}
              max={99}
              value={splitPercent}
              aria-invalid={splitInvalid ? true : undefined}
              aria-describedby={splitInvalid ? `${id}-share-error` : undefined}
              onChange={(event) => setSplitPercent(event.target.value)}
            />
            {splitInvalid ? (
              <p id={`${id}-share-error`} className="field__error">
                A whole number from 1 to 99.
              </p>
            ) : null}
          </div>
        ) : null}
      </div>
      <div className="form__actions">
        {EXPORT_FORMATS.map((format) => (
          <button
            key={format}
            type="button"
            className="button button--secondary"
            disabled={busy !== null || splitInvalid}
            onClick={() => void download(format)}
          >
            {busy === format ? 'Exporting…' : `Export ${FORMAT_LABELS[format]}`}
          </button>
        ))}
      </div>
      {error ? <ErrorMessage error={error} title="Could not export the examples." /> : null}
      {done ? (
        <p className="muted small" role="status">
          Saved {done}.
        </p>
      ) : null}
    </section>
  );
}
