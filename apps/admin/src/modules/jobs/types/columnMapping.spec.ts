import { autoMap, itemLabel, mapItems, unmappedRequired } from './columnMapping';
import { inputFieldsOf } from './inputSchema';
import { parseItemsText } from './itemsInput';

const schema = {
  type: 'object',
  properties: {
    title: { type: 'string', minLength: 1, maxLength: 10 },
    release_year: { type: 'integer', minimum: 1900 },
    explicit: { type: 'boolean' },
    tags: { type: 'array', items: { type: 'string' }, maxItems: 2 },
    mood: { type: ['string', 'null'], enum: ['calm', 'loud', null] },
  },
  required: ['title', 'release_year'],
};
const fields = inputFieldsOf(schema);

function rowsOf(text: string) {
  const parsed = parseItemsText(text);
  if (!parsed?.ok) throw new Error('expected items');
  return parsed;
}

describe('column mapping', () => {
  it('maps same-named columns, ignoring case, spaces, dashes and underscores', () => {
    expect(autoMap(fields, ['Title', 'Release Year', 'tags', 'other'])).toEqual({
      title: 'Title',
      release_year: 'Release Year',
      explicit: '',
      tags: 'tags',
      mood: '',
    });
  });

  it('turns CSV cells into the types the schema asks for, and drops empty cells', () => {
    const parsed = rowsOf('name,year,explicit,tags\nHymn,1979,no,old; sacred\nSong,,yes,');
    const mapping = { title: 'name', release_year: 'year', explicit: 'explicit', tags: 'tags', mood: '' };
    const [first, second] = mapItems(parsed.format, parsed.rows, fields, mapping);
    expect(first).toEqual({ index: 0, line: 2, item: { title: 'Hymn', release_year: 1979, explicit: false, tags: ['old', 'sacred'] }, problems: [] });
    expect(second.item).toEqual({ title: 'Song', explicit: true });
    expect(second.problems).toEqual(['release_year is required']);
    expect(itemLabel(second)).toBe('Item 1 (line 3)');
  });

  it('checks types, lengths, ranges, enums and list sizes per item', () => {
    const parsed = rowsOf(
      JSON.stringify([
        { title: '', release_year: 1850.5 },
        { title: 'Far too long a title', release_year: '1990', tags: ['a', 'b', 'c'], mood: 'sad' },
        { title: 'Fine', release_year: 1800, explicit: 'maybe', mood: null },
      ]),
    );
    const mapping = autoMap(fields, parsed.columns);
    expect(mapItems(parsed.format, parsed.rows, fields, mapping).map((item) => item.problems)).toEqual([
      ['title must not be empty', 'release_year must be an integer'],
      [
        'title must be at most 10 characters (it has 20)',
        'release_year must be an integer',
        'tags takes at most 2 entries',
        'mood must be one of: calm, loud, null',
      ],
      ['release_year must be 1900 or more', 'explicit must be true or false'],
    ]);
    expect(itemLabel({ index: 2, line: null })).toBe('Item 2');
  });

  it('reports a required field without a column once, not on every row', () => {
    const parsed = rowsOf('name\nA\nB');
    const mapping = { title: 'name', release_year: '', explicit: '', tags: '', mood: '' };
    expect(unmappedRequired(fields, mapping).map((field) => field.name)).toEqual(['release_year']);
    expect(mapItems(parsed.format, parsed.rows, fields, mapping).every((item) => item.problems.length === 0)).toBe(true);
  });
});
