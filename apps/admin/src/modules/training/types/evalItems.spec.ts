import { parseEvalItems } from './evalItems';

describe('parseEvalItems', () => {
  it('keeps input and expected of each item', () => {
    expect(parseEvalItems('[{"input":{"title":"A"},"expected":{"verdict":"approved"},"note":1},{"input":{"title":"B"}}]')).toEqual({
      ok: true,
      items: [{ input: { title: 'A' }, expected: { verdict: 'approved' } }, { input: { title: 'B' } }],
    });
  });

  it('says what is wrong', () => {
    expect(parseEvalItems('')).toMatchObject({ ok: false });
    expect(parseEvalItems('{"input":{}}')).toEqual({ ok: false, error: 'The items must be a JSON array.' });
    expect(parseEvalItems('[]')).toEqual({ ok: false, error: 'Add at least one item.' });
    expect(parseEvalItems('[{"input":{}},{"input":"x"}]')).toEqual({ ok: false, error: 'Item 2 needs an "input" object.' });
    expect(parseEvalItems('[{"input":')).toMatchObject({ ok: false, error: expect.stringMatching(/^The items are not valid JSON/) });
  });
});
