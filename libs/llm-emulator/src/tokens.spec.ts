import {
  canonicalJson,
  countMessageTokens,
  countPromptTokens,
  countTokens,
  IMAGE_TOKENS,
  MESSAGE_OVERHEAD_TOKENS,
  PROMPT_PRIMING_TOKENS,
  truncateToTokens,
} from './tokens';

describe('token counting', () => {
  it('counts ~4 characters per token, rounding up', () => {
    expect(countTokens('')).toBe(0);
    expect(countTokens('a')).toBe(1);
    expect(countTokens('abcd')).toBe(1);
    expect(countTokens('abcde')).toBe(2);
    expect(countTokens('x'.repeat(400))).toBe(100);
  });

  it('is additive on 4-character boundaries and monotonic', () => {
    const a = 'word'.repeat(10);
    const b = 'more'.repeat(7);
    expect(countTokens(a + b)).toBe(countTokens(a) + countTokens(b));
    let prev = 0;
    for (let n = 0; n < 50; n++) {
      const t = countTokens('y'.repeat(n));
      expect(t).toBeGreaterThanOrEqual(prev);
      prev = t;
    }
  });

  it('counts a prompt as priming + per-message overhead + text + images + schemas', () => {
    const messages = [
      { role: 'system' as const, text: 'You are terse.', images: 0 },
      { role: 'user' as const, text: 'Describe this picture.', images: 1 },
    ];
    const schema = canonicalJson({ type: 'object', properties: { a: { type: 'string' } } });
    const expected =
      PROMPT_PRIMING_TOKENS +
      countTokens('You are terse.') +
      MESSAGE_OVERHEAD_TOKENS +
      countTokens('Describe this picture.') +
      MESSAGE_OVERHEAD_TOKENS +
      IMAGE_TOKENS +
      countTokens(schema);
    expect(countPromptTokens({ messages, schemaTexts: [schema] })).toBe(expected);
    expect(countMessageTokens(messages[1]!)).toBe(countTokens('Describe this picture.') + MESSAGE_OVERHEAD_TOKENS + IMAGE_TOKENS);
  });

  it('truncates to an exact token budget', () => {
    const text = 'The quick brown fox jumps over the lazy dog.';
    expect(countTokens(truncateToTokens(text, 3))).toBe(3);
    expect(truncateToTokens(text, 3)).toBe(text.slice(0, 12));
    expect(truncateToTokens(text, 1000)).toBe(text);
    expect(truncateToTokens(text, 0)).toBe('');
  });

  it('canonical JSON ignores key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"y":2,"z":1}]},"b":1}');
    expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }));
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
  });
});
