import { formatCount } from '../../../shared/format/money';
import type { MappedItem } from '../types/columnMapping';
import { formatLabel, type ItemsFormat, type SourceRow } from '../types/itemsInput';

export const PREVIEW_ROWS = 5;

interface ItemsPreviewProps {
  format: ItemsFormat;
  columns: string[];
  rows: SourceRow[];
  mapped: MappedItem[];
}

function cellText(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The first rows as read, column by column, with whether each would be accepted. */
export function ItemsPreview({ format, columns, rows, mapped }: ItemsPreviewProps) {
  const shown = rows.slice(0, PREVIEW_ROWS);
  return (
    <section className="section" aria-labelledby="items-preview-title">
      <h2 id="items-preview-title" className="section__title">
        Preview
      </h2>
      <p className="muted small">
        {formatLabel(format)} with {formatCount(columns.length)} {columns.length === 1 ? 'column' : 'columns'} and {formatCount(rows.length)}{' '}
        {rows.length === 1 ? 'item' : 'items'}
        {rows.length > shown.length ? `; the first ${shown.length} are shown.` : '.'}
      </p>
      <div className="table-wrap" role="region" aria-label="Preview of the first rows" tabIndex={0}>
        <table className="table table--compact preview-table">
          <thead>
            <tr>
              <th scope="col" className="num">
                Item
              </th>
              {columns.map((column) => (
                <th scope="col" key={column}>
                  {column}
                </th>
              ))}
              <th scope="col">Check</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((row) => {
              const problems = mapped[row.index]?.problems ?? [];
              return (
                <tr key={row.index} className={problems.length ? 'table__row--invalid' : undefined}>
                  <th scope="row" className="num">
                    {row.index}
                  </th>
                  {columns.map((column) => {
                    const text = cellText(row.values[column]);
                    return (
                      <td key={column} className="preview-table__cell" title={text.length > 60 ? text : undefined}>
                        {text.length > 60 ? `${text.slice(0, 60)}…` : text}
                      </td>
                    );
                  })}
                  <td className="table__wrap-cell">
                    {problems.length ? <span className="field__error">{problems.join('; ')}</span> : <span className="preview-table__ok">OK</span>}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}
