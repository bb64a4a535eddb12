import { BodyTooLargeError, InvalidJsonBodyError, jsonBodyEvents, JsonBodyParser, parseByteSize, type BodyEvent } from './json-body-stream';

/** Feeds `text` to the parser in pieces of `size` bytes (splitting multi-byte characters and escapes anywhere). */
function parse(text: string, size: number): BodyEvent[] {
  const bytes = Buffer.from(text);
  const p = new JsonBodyParser();
  const out: BodyEvent[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(...p.push(bytes.subarray(i, i + size)));
  p.end();
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

  it.each([1, 2, 3, 7, 64, 100_000])('gives every field and every item, in order, whatever the chunk size (%i)', (size) => {
    const events = parse(text, size);
    const fields = Object.fromEntries(events.flatMap((e) => (e.kind === 'field' ? [[e.key, e.value]] : [])));
    const items = events.flatMap((e) => (e.kind === 'item' ? [e.value] : []));
    expect(items).toEqual(body.items);
    expect(fields).toEqual({ profile: body.profile, name: body.name, budgetUsd: 2.5, metadata: body.metadata, priority: 'high' });
    expect(events.filter((e) => e.kind === 'itemsStart' || e.kind === 'itemsEnd').map((e) => e.kind)).toEqual(['itemsStart', 'itemsEnd']);
    for (const e of events) if (e.kind === 'item') expect(JSON.parse(e.raw as string)).toEqual(e.value);
  });

  it('hands over a non-array `items` as a field, and an empty array as no items', () => {
    expect(parse('{"items":"nope"}', 3)).toEqual([{ kind: 'field', key: 'items', value: 'nope' }]);
    expect(parse('{ "items" : [ ] }', 2)).toEqual([{ kind: 'itemsStart' }, { kind: 'itemsEnd' }]);
    expect(parse('{}', 1)).toEqual([]);
  });

  it.each(['', '[1]', '{"a":1', '{"a":1,}', '{"items":[1,]}', '{"items":[{"a":}]}', '{"a":1} x', '{"items":[1],"items":[2]}', '{"a" 1}'])('rejects malformed bodies: %s', (bad) => {
    expect(() => parse(bad, 2)).toThrow(InvalidJsonBodyError);
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
