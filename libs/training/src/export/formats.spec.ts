import { createHash } from 'node:crypto';
import { answerText, estimateChatTokens, openAiLineProblems, renderLine, splitPart, type TrainingRecord } from './formats';

const record = (messages: TrainingRecord['messages']): TrainingRecord => ({
  messages,
  inputHash: 'ab'.repeat(32),
  meta: {
    exampleId: 'e1',
    profileKey: 'song-analysis',
    step: 'analyze',
    operation: 'analyze',
    model: 'ollama/qwen3:8b',
    rating: 5,
    approved: true,
    edited: false,
    quality: null,
    createdAt: '2026-01-01T00:00:00.000Z',
  },
});

const CONVERSATION = record([
  { role: 'system', content: 'You review lyrics.' },
  { role: 'user', content: 'Review: la la' },
  { role: 'assistant', content: '{"verdict":"approved"}' },
]);

describe('fine-tuning formats', () => {
  it('openai-jsonl: one {"messages":[…]} line, the answer last, valid by OpenAI’s rules', () => {
    const line = renderLine(CONVERSATION, 'openai-jsonl');
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    expect(JSON.parse(line)).toEqual({ messages: CONVERSATION.messages });
    expect(openAiLineProblems(line)).toEqual([]);
  });

  it('anthropic-jsonl: the system prompt apart, user/assistant turns alternating (same-role turns joined)', () => {
    const r = record([
      { role: 'system', content: 'S' },
      { role: 'user', content: 'a' },
      { role: 'user', content: 'b' },
      { role: 'assistant', content: 'c' },
    ]);
    expect(JSON.parse(renderLine(r, 'anthropic-jsonl'))).toEqual({
      system: 'S',
      messages: [
        { role: 'user', content: 'a\n\nb' },
        { role: 'assistant', content: 'c' },
      ],
    });
    expect(
      JSON.parse(
        renderLine(
          record([
            { role: 'user', content: 'q' },
            { role: 'assistant', content: 'a' },
          ]),
          'anthropic-jsonl',
        ),
      ),
    ).toEqual({
      messages: [
        { role: 'user', content: 'q' },
        { role: 'assistant', content: 'a' },
      ],
    });
  });

  it('hf-jsonl: TRL’s conversational prompt–completion', () => {
    expect(JSON.parse(renderLine(CONVERSATION, 'hf-jsonl'))).toEqual({
      prompt: CONVERSATION.messages.slice(0, 2),
      completion: [CONVERSATION.messages[2]],
    });
  });

  it.each([
    ['not JSON', '{', 'the line is not JSON'],
    ['not an object', '[1]', 'the line is not a JSON object'],
    ['no messages', '{"messages":[]}', 'messages must be a non-empty array'],
    ['an unknown role', '{"messages":[{"role":"user","content":"q"},{"role":"robot","content":"a"}]}', 'messages.1.role must be system, user or assistant'],
    ['empty content', '{"messages":[{"role":"user","content":" "},{"role":"assistant","content":"a"}]}', 'messages.0.content must be a non-empty string'],
    ['the user last', '{"messages":[{"role":"assistant","content":"a"},{"role":"user","content":"q"}]}', 'the last message must be the assistant’s'],
    ['no user', '{"messages":[{"role":"system","content":"s"},{"role":"assistant","content":"a"}]}', 'messages must contain a user message'],
    ['an extra key', '{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a"}],"meta":1}', 'unexpected keys: messages, meta'],
  ])('openai-jsonl check refuses %s', (_what, line, problem) => {
    expect(openAiLineProblems(line)).toContain(problem);
  });

  it('openai-jsonl check refuses an example over the token limit', () => {
    const long = JSON.stringify({
      messages: [
        { role: 'user', content: 'word '.repeat(1000) },
        { role: 'assistant', content: 'ok' },
      ],
    });
    expect(openAiLineProblems(long, 100)[0]).toMatch(/over the 100-token limit/);
    expect(openAiLineProblems(long)).toEqual([]);
    expect(estimateChatTokens([{ role: 'user', content: 'x'.repeat(350) }])).toBe(3 + 4 + 100);
  });

  it('the answer: the corrected one when edited, structured output as its JSON text, else the text', () => {
    expect(answerText({ structured: true, outputJson: { a: 1 }, outputText: 'ignored', edited: false, edits: null })).toBe('{"a":1}');
    expect(answerText({ structured: true, outputJson: { a: 1 }, outputText: '', edited: true, edits: { a: 2 } })).toBe('{"a":2}');
    expect(answerText({ structured: false, outputJson: null, outputText: 'hello', edited: false, edits: null })).toBe('hello');
    expect(answerText({ structured: false, outputJson: null, outputText: 'hello', edited: true, edits: 'hi there' })).toBe('hi there');
  });

  it('splits by input hash: deterministic, in proportion, duplicates on one side', () => {
    expect(splitPart('00000000' + 'f'.repeat(56), 0.9)).toBe('train');
    expect(splitPart('ffffffff' + '0'.repeat(56), 0.9)).toBe('validation');
    const hashes = Array.from({ length: 2000 }, (_, i) => createHash('sha256').update(String(i)).digest('hex'));
    const train = hashes.filter((h) => splitPart(h, 0.9) === 'train').length;
    expect(train / hashes.length).toBeGreaterThan(0.86);
    expect(train / hashes.length).toBeLessThan(0.94);
    expect(hashes.map((h) => splitPart(h, 0.9))).toEqual(hashes.map((h) => splitPart(h, 0.9)));
  });
});
