import { useId } from 'react';
import type { ColumnMapping } from '../types/columnMapping';
import { describeTypes, type InputField } from '../types/inputSchema';

interface ColumnMappingFieldsProps {
  fields: InputField[];
  columns: string[];
  mapping: ColumnMapping;
  unused: string[];
  onChange: (field: string, column: string) => void;
}

/** One select per input field of the profile: which column of the file feeds it. */
export function ColumnMappingFields({ fields, columns, mapping, unused, onChange }: ColumnMappingFieldsProps) {
  const id = useId();
  return (
    <fieldset className="fieldset">
      <legend className="visually-hidden">Which column feeds each input field</legend>
      <p className="muted small">Columns named like a field are matched for you. Change any of them, or leave an optional field without a column.</p>
      <div className="mapping">
        {fields.map((field) => {
          const selectId = `${id}-${field.name}`;
          const missing = field.required && !mapping[field.name];
          const hint = `${field.required ? 'Required' : 'Optional'} · ${describeTypes(field)}${field.description ? ` · ${field.description}` : ''}`;
          return (
            <div className="field mapping__field" key={field.name}>
              <label htmlFor={selectId}>Column for {field.name}</label>
              <select
                id={selectId}
                value={mapping[field.name] ?? ''}
                aria-invalid={missing ? true : undefined}
                aria-describedby={`${selectId}-hint${missing ? ` ${selectId}-error` : ''}`}
                onChange={(event) => onChange(field.name, event.target.value)}
              >
                <option value="">{field.required ? 'Choose a column…' : 'No column'}</option>
                {columns.map((column) => (
                  <option key={column} value={column}>
                    {column}
                  </option>
                ))}
              </select>
              <p id={`${selectId}-hint`} className="field__hint">
                {hint}
              </p>
              {missing ? (
                <p id={`${selectId}-error`} className="field__error">
                  {field.name} is required: choose the column that holds it.
                </p>
              ) : null}
            </div>
          );
        })}
      </div>
      {unused.length ? (
        <p className="muted small">
          Not sent:{' '}
          {unused.map((column, i) => (
            <span key={column}>
              {i > 0 ? ', ' : ''}
              <code>{column}</code>
            </span>
          ))}
          .
        </p>
      ) : null}
    </fieldset>
  );
}
