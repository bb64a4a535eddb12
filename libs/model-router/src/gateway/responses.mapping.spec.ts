import type { ChatResult } from '@margin/providers';
import { plainToInstance } from 'class-transformer';
import { InvalidParamError, validateBody } from './gateway-support';
import { ResponseCreateRequest } from './responses.dto';
import { inputMessages, outputSchemaOf, refuseUnsupported, responseObject } from './responses.mapping';

const body = (b: Record<string, unknown>) => plainToInstance(ResponseCreateRequest, { model: 'm', input: 'x', ...b });
const paramOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    if (e instanceof InvalidParamError) return e.param;
    throw e;
  }
  return undefined;
};

const result = (over: Partial<ChatResult> = {}): ChatResult => ({
  text: 'Hello',
  usage: { inputTokens: 10, outputTokens: 3, cachedInputTokens: 2, reasoningTokens: 0 },
  model: 'gpt-4o-mini',
  latencyMs: 5,
  finishReason: 'stop',
  rateLimit: {},
  emulated: true,
  ...over,
});

describe('Responses mapping', () => {
  it('reads a string, bare messages, message items and text parts; developer is a system message', () => {
    expect(inputMessages('hi')).toEqual([{ role: 'user', content: 'hi' }]);
    expect(
      inputMessages([
        { role: 'developer', content: 'rules' },
        {
          type: 'message',
          role: 'user',
          content: [
            { type: 'input_text', text: 'a' },
            { type: 'input_text', text: 'b' },
          ],
        },
        { role: 'assistant', content: [{ type: 'output_text', text: 'c' }] },
      ]),
    ).toEqual([
      { role: 'system', content: 'rules' },
      { role: 'user', content: 'ab' },
      { role: 'assistant', content: 'c' },
    ]);
  });

  it('names the bad field: empty input, unknown role, tool items, image parts', () => {
    expect(paramOf(() => inputMessages(''))).toBe('input');
    expect(paramOf(() => inputMessages([]))).toBe('input');
    expect(paramOf(() => inputMessages([{ role: 'robot', content: 'x' }]))).toBe('input[0].role');
    expect(paramOf(() => inputMessages([{ type: 'function_call_output', call_id: 'c', output: 'x' }]))).toBe('input[0].type');
    expect(paramOf(() => inputMessages([{ role: 'user', content: [{ type: 'input_image', image_url: 'x' }] }]))).toBe('input[0].content[0].type');
  });

  it('maps text.format to the output schema', () => {
    expect(outputSchemaOf(body({}))).toBeUndefined();
    expect(outputSchemaOf(body({ text: { format: { type: 'text' } } }))).toBeUndefined();
    expect(outputSchemaOf(body({ text: { format: { type: 'json_object' } } }))).toEqual({ name: 'response', schema: { type: 'object' } });
    expect(outputSchemaOf(body({ text: { format: { type: 'json_schema', name: 'r', schema: { type: 'object' } } } }))).toEqual({
      name: 'r',
      schema: { type: 'object' },
    });
    expect(paramOf(() => outputSchemaOf(body({ text: { format: { type: 'json_schema', name: 'r' } } })))).toBe('text.format.schema');
  });

  it('refuses what it cannot honour, naming it, and lets the defaults through', () => {
    expect(paramOf(() => refuseUnsupported(body({ tools: [{ type: 'function', name: 'f' }] })))).toBe('tools');
    expect(paramOf(() => refuseUnsupported(body({ tool_choice: 'required' })))).toBe('tool_choice');
    expect(paramOf(() => refuseUnsupported(body({ top_p: 0.5 })))).toBe('top_p');
    expect(paramOf(() => refuseUnsupported(body({ include: ['reasoning.encrypted_content'] })))).toBe('include');
    expect(paramOf(() => refuseUnsupported(body({ reasoning: { effort: 'high' } })))).toBe('reasoning');
    expect(paramOf(() => refuseUnsupported(body({ tools: [], tool_choice: 'auto', top_p: 1, include: [], reasoning: {} })))).toBeUndefined();
  });

  it('validates scalars with the field as param', () => {
    expect(paramOf(() => validateBody(ResponseCreateRequest, { model: 'm', input: 'x', max_output_tokens: 0 }))).toBe('max_output_tokens');
    expect(paramOf(() => validateBody(ResponseCreateRequest, { model: 'm', input: 'x', text: { format: { type: 'yaml' } } }))).toBe('text.format.type');
    expect(paramOf(() => validateBody(ResponseCreateRequest, { input: 'x' }))).toBe('model');
    expect(paramOf(() => validateBody(ResponseCreateRequest, [1]))).toBe('body');
  });

  it('builds the response object: in progress, completed with usage, incomplete at the token limit', () => {
    const ids = { id: 'resp_1', messageId: 'msg_1', createdAt: 1 };
    expect(responseObject(body({}), ids, 'm')).toMatchObject({ status: 'in_progress', output: [], usage: null });
    const done = responseObject(body({ instructions: 'be brief', metadata: { a: 'b' } }), ids, 'openai/gpt-4o-mini', result());
    expect(done).toMatchObject({
      id: 'resp_1',
      object: 'response',
      status: 'completed',
      model: 'openai/gpt-4o-mini',
      instructions: 'be brief',
      metadata: { a: 'b' },
      output: [{ type: 'message', id: 'msg_1', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'Hello' }] }],
      usage: { input_tokens: 10, input_tokens_details: { cached_tokens: 2 }, output_tokens: 3, total_tokens: 13 },
    });
    expect(responseObject(body({}), ids, 'm', result({ finishReason: 'length' }))).toMatchObject({
      status: 'incomplete',
      incomplete_details: { reason: 'max_output_tokens' },
    });
  });
});
