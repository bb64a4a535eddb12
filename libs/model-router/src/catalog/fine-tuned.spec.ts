import { fineTunedNameProblem, openAiFineTuneBase } from './fine-tuned';

describe('fine-tuned model names', () => {
  it('OpenAI: an ft: id whose base is the base model (or one of its dated snapshots)', () => {
    expect(fineTunedNameProblem('openai', 'gpt-4o-mini', 'ft:gpt-4o-mini-2024-07-18:acme:songs:AbC123')).toBeNull();
    expect(fineTunedNameProblem('openai', 'gpt-4o-mini', 'ft:gpt-4o-mini-2024-07-18:personal::9xYz')).toBeNull();
    expect(fineTunedNameProblem('openai', 'gpt-3.5-turbo', 'ft:gpt-3.5-turbo-0613:acme::7p4lURel')).toBeNull();
    expect(fineTunedNameProblem('openai', 'gpt-4o-mini', 'gpt-4o-mini-songs')).toMatch(/ft:gpt-4o-mini/);
    // gpt-4o is a prefix of gpt-4o-mini, but a mini fine-tune was not trained from gpt-4o
    expect(fineTunedNameProblem('openai', 'gpt-4o', 'ft:gpt-4o-mini-2024-07-18:acme::x1')).toMatch(
      /trained from gpt-4o-mini-2024-07-18, not from the base model gpt-4o/,
    );
    expect(fineTunedNameProblem('openai', 'gpt-4o-mini', 'ft:gpt-4o-mini')).toMatch(/an id like/);
    expect(openAiFineTuneBase('ft:gpt-4.1-mini-2025-04-14:org:s:id')).toBe('gpt-4.1-mini-2025-04-14');
    expect(openAiFineTuneBase('qwen3:8b')).toBeNull();
  });

  it('Ollama: a lowercase model name other than the base; Anthropic: none; other hosts: a served name', () => {
    expect(fineTunedNameProblem('ollama', 'qwen3:8b', 'qwen3-songs:8b')).toBeNull();
    expect(fineTunedNameProblem('ollama', 'qwen3:8b', 'acme/qwen3-songs:latest')).toBeNull();
    expect(fineTunedNameProblem('ollama', 'qwen3:8b', 'qwen3:8b')).toMatch(/differ/);
    expect(fineTunedNameProblem('ollama', 'qwen3:8b', 'Qwen3 Songs')).toMatch(/lowercase/);
    expect(fineTunedNameProblem('anthropic', 'claude-haiku-4-5', 'claude-haiku-songs')).toMatch(/Anthropic/);
    expect(fineTunedNameProblem('vllm-1', 'llama-3.1-8b', 'acme/llama-3.1-8b-songs')).toBeNull();
    expect(fineTunedNameProblem('vllm-1', 'llama-3.1-8b', 'bad name')).toMatch(/model name/);
    expect(fineTunedNameProblem('ollama', 'qwen3:8b', `${'a'.repeat(151)}`)).toMatch(/150/);
  });
});
