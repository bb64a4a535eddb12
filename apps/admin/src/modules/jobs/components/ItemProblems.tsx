import type { Ref } from 'react';
import { formatCount } from '../../../shared/format/money';
import { itemLabel, type MappedItem } from '../types/columnMapping';

const MAX_LISTED = 50;

/** Every problem of every item, by item, before anything is sent. */
export function ItemProblems({ invalid, ref }: { invalid: MappedItem[]; ref?: Ref<HTMLElement> }) {
  const count = invalid.reduce((n, item) => n + item.problems.length, 0);
  const listed = invalid.slice(0, MAX_LISTED);
  return (
    <section ref={ref} className="notice notice--error problems" aria-labelledby="item-problems-title" tabIndex={-1}>
      <h2 id="item-problems-title" className="notice__title problems__title">
        Problems in the items
      </h2>
      <p>
        {formatCount(count)} {count === 1 ? 'problem' : 'problems'} in {formatCount(invalid.length)} {invalid.length === 1 ? 'item' : 'items'}. Fix the data or
        the column mapping; nothing is sent until every item is valid.
      </p>
      <ul aria-label="Problems by item">
        {listed.map((item) => (
          <li key={item.index}>
            <strong>{itemLabel(item)}:</strong> {item.problems.join('; ')}
          </li>
        ))}
      </ul>
      {invalid.length > listed.length ? <p>…and {formatCount(invalid.length - listed.length)} more items with problems.</p> : null}
    </section>
  );
}
