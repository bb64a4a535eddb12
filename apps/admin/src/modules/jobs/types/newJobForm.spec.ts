import { fingerprint, parseBudget } from './newJobForm';

describe('parseBudget', () => {
  it('takes empty as no budget and dollars with up to 6 decimals', () => {
    expect(parseBudget('')).toEqual({ ok: true, value: undefined });
    expect(parseBudget(' 2.5 ')).toEqual({ ok: true, value: 2.5 });
    expect(parseBudget('$0.000125')).toEqual({ ok: true, value: 0.000125 });
  });

  it('refuses anything else', () => {
    expect(parseBudget('-1')).toMatchObject({ ok: false });
    expect(parseBudget('0.0000001')).toMatchObject({ ok: false });
    expect(parseBudget('ten')).toMatchObject({ ok: false });
    expect(parseBudget('2000000')).toMatchObject({ ok: false, error: 'The budget can be at most $1,000,000.' });
  });
});

describe('fingerprint', () => {
  it('differs when the text differs and is stable otherwise', () => {
    expect(fingerprint('{"a":1}')).toBe(fingerprint('{"a":1}'));
    expect(fingerprint('{"a":1}')).not.toBe(fingerprint('{"a":2}'));
  });
});
