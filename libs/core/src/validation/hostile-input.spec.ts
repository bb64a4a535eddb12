import { assertJsonDepth, findHostileValue, HostileInputError, MAX_JSON_DEPTH } from './hostile-input';

const nest = (depth: number, open = '[', close = ']') => `${open.repeat(depth)}1${close.repeat(depth)}`;

describe('assertJsonDepth (raw JSON, before parsing)', () => {
  it('takes nesting up to the limit and refuses one level more, naming the limit', () => {
    expect(() => assertJsonDepth(nest(MAX_JSON_DEPTH))).not.toThrow();
    expect(() => assertJsonDepth(nest(MAX_JSON_DEPTH + 1))).toThrow(HostileInputError);
    let thrown: unknown;
    try {
      assertJsonDepth(Buffer.from(nest(100_000, '{"a":', '}')));
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(HostileInputError);
    expect((thrown as HostileInputError).getStatus()).toBe(400);
    expect((thrown as HostileInputError).getResponse()).toMatchObject({ statusCode: 400, message: ['request body nests deeper than 64 levels'] });
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    const text = JSON.stringify({ a: '['.repeat(500), b: '\\"[[[[', c: [[['x']]] });
    expect(() => assertJsonDepth(text)).not.toThrow();
  });
});

describe('findHostileValue (parsed values)', () => {
  it('names the path of a NUL, a lone surrogate or a constructor key', () => {
    expect(findHostileValue({ items: [{ title: 'ok' }, { lyrics: 'a\u0000b' }] })).toBe('items.1.lyrics contains a NUL character');
    expect(findHostileValue({ email: '\udc00x@example.com' })).toBe('email contains an unpaired UTF-16 surrogate');
    expect(findHostileValue({ metadata: { constructor: { prototype: {} } } })).toBe('metadata.constructor is not an allowed property name');
    expect(findHostileValue(JSON.parse('{"__proto__":{"x":1}}'))).toBe('__proto__ is not an allowed property name');
    expect(findHostileValue({ ['k\u0000']: 1 })).toBe('request body has a property name that contains a NUL character');
  });

  it('accepts ordinary data, emoji (surrogate pairs) and deep-but-allowed nesting', () => {
    expect(findHostileValue({ title: 'Amazing Grace 💩', n: 1, ok: true, none: null, list: [1, 'two', { three: [3] }] })).toBeUndefined();
    expect(findHostileValue(JSON.parse(nest(MAX_JSON_DEPTH - 1)))).toBeUndefined();
  });

  it('walks any depth without recursion and refuses past the limit', () => {
    const deep = JSON.parse(nest(200_000));
    expect(findHostileValue(deep)).toMatch(/nests deeper than 64 levels/);
  });

  it('does not walk non-plain objects (multer buffers, dates)', () => {
    expect(findHostileValue({ file: Buffer.from([0, 0, 0]), at: new Date(0) })).toBeUndefined();
  });
});
