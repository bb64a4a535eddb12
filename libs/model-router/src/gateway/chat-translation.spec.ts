import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { choicesOf, GatewayParamError, readMessages, readParams, refuseUnhonoured, wireChoice } from './chat-translation';
import { ChatCompletionRequest } from './openai-gateway.dto';

const TOOL = { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } };

function request(raw: Record<string, unknown>): ChatCompletionRequest {
  const body = plainToInstance(ChatCompletionRequest, { model: 'margin/auto', messages: [{ role: 'user', content: 'hi' }], ...raw });
  const errors = validateSync(body, { whitelist: true });
  if (errors.length) throw new Error(JSON.stringify(errors.map((e) => e.constraints ?? e.children)));
  return body;
}

function refusal(fn: () => unknown): { param: string; code: string; message: string } {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(GatewayParamError);
    const err = e as GatewayParamError;
    expect(err.httpStatus).toBe(400);
    return { param: err.param, code: err.code, message: err.message };
  }
  throw new Error('not refused');
}

describe('chat.completions request translation', () => {
  it('reads tool turns: assistant tool_calls (content null) and tool results', () => {
    const body = request({
      messages: [
        { role: 'developer', content: 'be brief' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'weather ' },
            { type: 'text', text: 'in Oslo?' },
          ],
        },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }] },
        { role: 'tool', tool_call_id: 'c1', content: 'sunny' },
      ],
    });
    expect(readMessages(body)).toEqual([
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'weather in Oslo?' },
      { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'get_weather', arguments: '{"city":"Oslo"}' }] },
      { role: 'tool', content: 'sunny', toolCallId: 'c1' },
    ]);
  });

  it('refuses a tool message without tool_call_id and a null content elsewhere, naming the field', () => {
    expect(refusal(() => readMessages(request({ messages: [{ role: 'tool', content: 'x' }] })))).toMatchObject({
      param: 'messages[0].tool_call_id',
      code: 'missing_required_parameter',
    });
    expect(refusal(() => readMessages(request({ messages: [{ role: 'user', content: null }] })))).toMatchObject({ param: 'messages[0].content' });
    expect(refusal(() => readMessages(request({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] })))).toMatchObject({
      param: 'messages[0].content',
    });
  });

  it('reads tools, every tool_choice form and the optional fields', () => {
    const params = readParams(
      request({
        tools: [TOOL],
        tool_choice: { type: 'function', function: { name: 'get_weather' } },
        parallel_tool_calls: false,
        n: 3,
        stop: 'END',
        logprobs: true,
        top_logprobs: 2,
        seed: 42,
        user: 'u-7',
        metadata: { team: 'core' },
        service_tier: 'default',
      }),
    );
    expect(params).toEqual({
      tools: [{ name: 'get_weather', parameters: TOOL.function.parameters }],
      toolChoice: { name: 'get_weather' },
      parallelToolCalls: false,
      n: 3,
      stop: ['END'],
      logprobs: true,
      topLogprobs: 2,
      seed: 42,
      user: 'u-7',
      metadata: { team: 'core' },
      serviceTier: 'default',
    });
    for (const choice of ['auto', 'none', 'required'] as const) expect(readParams(request({ tools: [TOOL], tool_choice: choice })).toolChoice).toBe(choice);
    expect(readParams(request({ n: 1 }))).toEqual({});
  });

  it('refuses what OpenAI refuses, naming the field', () => {
    expect(refusal(() => readParams(request({ tool_choice: 'auto' }))).param).toBe('tool_choice');
    expect(refusal(() => readParams(request({ tools: [TOOL], tool_choice: { type: 'function', function: { name: 'nope' } } }))).param).toBe('tool_choice');
    expect(refusal(() => readParams(request({ tools: [TOOL], tool_choice: 'sometimes' }))).param).toBe('tool_choice');
    expect(refusal(() => readParams(request({ tools: [TOOL, TOOL] }))).param).toBe('tools');
    expect(refusal(() => readParams(request({ parallel_tool_calls: true }))).param).toBe('parallel_tool_calls');
    expect(refusal(() => readParams(request({ top_logprobs: 2 }))).param).toBe('top_logprobs');
    expect(refusal(() => readParams(request({ n: 2, stream: true }))).param).toBe('n');
    expect(refusal(() => readParams(request({ stop: ['a', 'b', 'c', 'd', 'e'] }))).param).toBe('stop');
    expect(refusal(() => readParams(request({ stop: [''] }))).param).toBe('stop');
    expect(refusal(() => readParams(request({ metadata: { n: 1 } }))).param).toBe('metadata');
  });

  it('refuses documented fields Margin does not honour unless they hold their default', () => {
    expect(() => refuseUnhonoured({ top_p: 1, frequency_penalty: 0, presence_penalty: 0, logit_bias: {}, store: false, modalities: ['text'] })).not.toThrow();
    for (const [field, value] of [
      ['top_p', 0.5],
      ['frequency_penalty', 0.3],
      ['presence_penalty', -1],
      ['logit_bias', { 50256: -100 }],
      ['functions', [{ name: 'f' }]],
      ['function_call', 'auto'],
      ['audio', { voice: 'alloy' }],
      ['modalities', ['text', 'audio']],
      ['prediction', { type: 'content', content: 'x' }],
      ['reasoning_effort', 'low'],
      ['store', true],
    ] as const) {
      expect(refusal(() => refuseUnhonoured({ [field]: value }))).toMatchObject({ param: field, code: 'unsupported_parameter' });
    }
  });
});

describe('chat.completions response translation', () => {
  const result = {
    text: '',
    toolCalls: [{ id: 'c1', name: 'get_weather', arguments: '{"city":"Oslo"}' }],
    usage: { inputTokens: 1, outputTokens: 1, cachedInputTokens: 0, reasoningTokens: 0 },
    model: 'm',
    latencyMs: 1,
    finishReason: 'tool_use' as const,
    rateLimit: {},
    emulated: true,
  };

  it('writes tool calls with content null and finish_reason tool_calls', () => {
    const [choice] = choicesOf(result);
    expect(wireChoice(choice as never, 0, false)).toEqual({
      index: 0,
      message: {
        role: 'assistant',
        content: null,
        refusal: null,
        tool_calls: [{ id: 'c1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }],
      },
      logprobs: null,
      finish_reason: 'tool_calls',
    });
  });

  it('writes every choice of an n answer, and logprobs when asked for', () => {
    const lp = [{ token: 'Hi', logprob: -0.1, bytes: [72, 105], topLogprobs: [{ token: 'Hi', logprob: -0.1, bytes: [72, 105] }] }];
    const many = choicesOf({
      ...result,
      toolCalls: undefined,
      text: 'Hi',
      finishReason: 'stop',
      choices: [
        { text: 'Hi', finishReason: 'stop', logprobs: lp },
        { text: 'Yo', finishReason: 'length' },
      ],
    });
    expect(many.map((c, i) => wireChoice(c, i, true))).toEqual([
      {
        index: 0,
        message: { role: 'assistant', content: 'Hi', refusal: null },
        logprobs: {
          content: [{ token: 'Hi', logprob: -0.1, bytes: [72, 105], top_logprobs: [{ token: 'Hi', logprob: -0.1, bytes: [72, 105] }] }],
          refusal: null,
        },
        finish_reason: 'stop',
      },
      { index: 1, message: { role: 'assistant', content: 'Yo', refusal: null }, logprobs: { content: [], refusal: null }, finish_reason: 'length' },
    ]);
  });
});
