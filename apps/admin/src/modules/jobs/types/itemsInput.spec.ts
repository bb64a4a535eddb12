import { parseCsvRecords, parseItemsText } from './itemsInput';

describe('parseItemsText', () => {
  it('reads a CSV with a header row, quoted cells, doubled quotes and line breaks inside quotes', () => {
    const parsed = parseItemsText(
      'title,artist,lyrics\r\n"Amazing Grace","Newton, John","Amazing grace\nhow ""sweet"" the sound"\r\n\r\nSecond, Someone ,la la\n',
    );
    expect(parsed).toEqual({
      ok: true,
      format: 'csv',
      columns: ['title', 'artist', 'lyrics'],
      rows: [
        { index: 0, line: 2, problems: [], values: { title: 'Amazing Grace', artist: 'Newton, John', lyrics: 'Amazing grace\nhow "sweet" the sound' } },
        { index: 1, line: 5, problems: [], values: { title: 'Second', artist: 'Someone', lyrics: 'la la' } },
      ],
    });
  });

  it('flags rows whose cell count differs from the header, and makes repeated column names unique', () => {
    const parsed = parseItemsText('a,b,a\n1,2\n1,2,3');
    expect(parsed).toMatchObject({ ok: true, columns: ['a', 'b', 'a (2)'] });
    if (!parsed?.ok) throw new Error('expected items');
    expect(parsed.rows[0].problems).toEqual(['has 2 cells; the header has 3']);
    expect(parsed.rows[1].problems).toEqual([]);
  });

  it('reports broken quoting', () => {
    expect(parseItemsText('a,b\n"open,1')).toEqual({ ok: false, error: 'Line 2: a quoted cell is never closed.' });
    expect(parseCsvRecords('a\n"x"y')).toEqual({ error: 'Line 2: unexpected text after a closing quote.' });
    expect(parseCsvRecords('a\n"one\ntwo"\n\n"three')).toEqual({ error: 'Line 5: a quoted cell is never closed.' });
    // a quote inside an unquoted cell is text, as in a spreadsheet
    expect(parseCsvRecords('a\nx"y"')).toEqual([
      { line: 1, cells: ['a'] },
      { line: 2, cells: ['x"y"'] },
    ]);
  });

  it('reads a JSON array, {"items": [...]}, a single object and JSON lines', () => {
    expect(parseItemsText('[{"title":"A","year":1999},{"title":"B","extra":true}]')).toMatchObject({
      ok: true,
      format: 'json',
      columns: ['title', 'year', 'extra'],
      rows: [
        { index: 0, line: null, values: { title: 'A', year: 1999 } },
        { index: 1, values: { title: 'B', extra: true } },
      ],
    });
    expect(parseItemsText('{"items":[{"topic":"x"}]}')).toMatchObject({ ok: true, columns: ['topic'], rows: [{ values: { topic: 'x' } }] });
    expect(parseItemsText('{"topic":"solo"}')).toMatchObject({ ok: true, rows: [{ values: { topic: 'solo' } }] });
    expect(parseItemsText('{"topic":"a"}\n\n{"topic":"b"}\n')).toMatchObject({
      ok: true,
      format: 'jsonl',
      rows: [
        { line: 1, values: { topic: 'a' } },
        { line: 3, values: { topic: 'b' } },
      ],
    });
  });

  it('says what is wrong with JSON it cannot use', () => {
    expect(parseItemsText('[1, {"a": 1}]')).toMatchObject({ ok: true, rows: [{ problems: ['is not an object with named fields'] }, { problems: [] }] });
    expect(parseItemsText('{"a": 1')).toMatchObject({ ok: false, error: expect.stringMatching(/^This is not valid JSON/) });
    expect(parseItemsText('{"list": 3}')).toMatchObject({ ok: true });
    expect(parseItemsText('[')).toMatchObject({ ok: false });
  });

  it('has nothing to say about empty input', () => {
    expect(parseItemsText('  \n')).toBeNull();
    expect(parseItemsText('\uFEFF')).toBeNull();
  });
});
