import { findUnstorableText, unstorableText } from './storable-text';

describe('text Postgres cannot store', () => {
  it('finds NUL and unpaired surrogates, and accepts everything else, emoji included', () => {
    expect(unstorableText('a\u0000b')).toBe('contains a NUL character');
    expect(unstorableText('\ud800')).toBe('contains an unpaired UTF-16 surrogate');
    expect(unstorableText('x\udc00')).toBe('contains an unpaired UTF-16 surrogate');
    expect(unstorableText('grâce 😀 ✝')).toBeNull();
  });

  it('names the path of the first bad string, in values and in property names', () => {
    expect(findUnstorableText({ a: [1, { b: 'ok' }, 'x\u0000'] }, 'items.3')).toBe('items.3.a.2 contains a NUL character');
    expect(findUnstorableText({ ['k\ud800']: 1 }, 'metadata')).toBe('metadata has a property name that contains an unpaired UTF-16 surrogate');
    expect(findUnstorableText({ a: [null, true, 1.5, { b: 'fine' }] }, 'x')).toBeNull();
  });
});
