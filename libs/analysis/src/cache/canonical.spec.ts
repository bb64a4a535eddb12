import { canonicalJson, inputHash } from './canonical';

describe('canonical JSON and the cache key', () => {
  it('ignores key order at every level', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"x":1,"y":2}]},"b":1}');
    expect(inputHash('song-analysis', 1, { title: 'Amazing Grace', artist: 'John Newton' })).toBe(
      inputHash('song-analysis', 1, { artist: 'John Newton', title: 'Amazing Grace' }),
    );
  });

  it('changes with the profile version and any value', () => {
    const base = inputHash('song-analysis', 1, { title: 'Amazing Grace' });
    expect(inputHash('song-analysis', 2, { title: 'Amazing Grace' })).not.toBe(base);
    expect(inputHash('song-analysis', 1, { title: 'Amazing grace' })).not.toBe(base);
    expect(inputHash('blog-post', 1, { title: 'Amazing Grace' })).not.toBe(base);
  });
});
