import { BodyTooLargeError, InvalidJsonBodyError, jsonBodyEvents, MAX_JSON_DEPTH, parseByteSize, type BodyEvent } from './json-body-stream';

/** Feeds `text` to the reader in pieces of `size` bytes (splitting multi-byte characters and escapes anywhere). */
async function parse(text: string, size: number): Promise<BodyEvent[]> {
  const bytes = Buffer.from(text);
  async function* pieces() {
    for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
  }
  const out: BodyEvent[] = [];
  for await (const e of jsonBodyEvents(pieces(), { limitBytes: 10_000_000 })) out.push(e);
  return out;
}

describe('the streamed JSON body', () => {
  const body = {
    profile: 'song-analysis',
    name: 'Grâce "liked" \\ songs ✝',
    budgetUsd: 2.5,
    metadata: { a: [1, { b: null }], c: true },
    items: [{ title: 'A}]"\\', lyrics: 'é\n😀' }, { nested: { deep: [[], {}] } }, 'x', 7, null],
    priority: 'high',
  };
  const text = JSON.stringify(body, null, 1);

  it.each([1, 2, 3, 7, 64, 100_000])('gives every field and every item, in order, whatever the chunk size (%i)', async (size) => {
    const events = await parse(text, size);
    const fields = Object.fromEntries(events.flatMap((e) => (e.kind === 'field' ? [[e.key, e.value]] : [])));
    const items = events.flatMap((e) => (e.kind === 'item' ? [e.value] : []));
    expect(items).toEqual(body.items);
    expect(fields).toEqual({ profile: body.profile, name: body.name, budgetUsd: 2.5, metadata: body.metadata, priority: 'high' });
    expect(events.filter((e) => e.kind === 'itemsStart' || e.kind === 'itemsEnd').map((e) => e.kind)).toEqual(['itemsStart', 'itemsEnd']);
  });

  it('hands over a non-array `items` as a field, and an empty array as no items', async () => {
    expect(await parse('{"items":"nope"}', 3)).toEqual([{ kind: 'field', key: 'items', value: 'nope' }]);
    expect(await parse('{ "items" : [ ] }', 2)).toEqual([{ kind: 'itemsStart' }, { kind: 'itemsEnd' }]);
    expect(await parse('{}', 1)).toEqual([]);
  });

  it.each([
    '',
    '[1]',
    '"x"',
    '{"a":1',
    '{"a":1,}',
    '{"items":[1,]}',
    '{"items":[{"a":}]}',
    '{"a":1} x',
    '{"a":1}{}',
    '{"items":[1],"items":[2]}',
    '{"a" 1}',
    '{"items":[{"__proto__":{"x":1}}]}',
    '{"__proto__":1}',
  ])('rejects malformed bodies: %s', async (bad) => {
    await expect(parse(bad, 2)).rejects.toBeInstanceOf(InvalidJsonBodyError);
  });

  it(`refuses nesting deeper than ${MAX_JSON_DEPTH} levels anywhere, naming where, and accepts it up to the limit`, async () => {
    const nested = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);
    // the body object is level 1 and the items array level 2
    await expect(parse(`{"items":[${nested(MAX_JSON_DEPTH - 2)}]}`, 50)).resolves.toHaveLength(3);
    await expect(parse(`{"items":[${nested(MAX_JSON_DEPTH - 1)}]}`, 50)).rejects.toThrow(/items\[0\]: nested deeper than 64 levels/);
    await expect(parse(`{"metadata":${nested(100_000)}}`, 4096)).rejects.toThrow(/"metadata": nested deeper than 64 levels/);
  });

  it('stops at the size limit', async () => {
    async function* chunks() {
      yield Buffer.from('{"items":[');
      for (;;) yield Buffer.from('{"a":1},');
    }
    const run = async () => {
      for await (const _ of jsonBodyEvents(chunks(), { limitBytes: 1000 })) void _;
    };
    await expect(run()).rejects.toBeInstanceOf(BodyTooLargeError);
    expect(parseByteSize('200mb')).toBe(200 * 1024 * 1024);
    expect(parseByteSize('10kb')).toBe(10_240);
  });
});
