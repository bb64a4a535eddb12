import { PROVIDER_KINDS } from '@margin/contracts';
import { createProvider } from '../create-provider';
import { AnthropicProvider } from './anthropic.adapter';
import { OllamaProvider } from './ollama.adapter';
import { OpenAiProvider } from './openai.adapter';

describe('createProvider', () => {
  it('builds the adapter for each kind', () => {
    const make = (kind: (typeof PROVIDER_KINDS)[number]): unknown => createProvider({ id: `${kind}-1`, kind, baseUrl: 'http://127.0.0.1:11434/' });
    expect(make('ollama')).toBeInstanceOf(OllamaProvider);
    expect(make('openai')).toBeInstanceOf(OpenAiProvider);
    expect(make('anthropic')).toBeInstanceOf(AnthropicProvider);
    for (const kind of PROVIDER_KINDS) {
      const p = createProvider({ id: `${kind}-1`, kind, baseUrl: 'http://127.0.0.1:11434/' });
      expect(p).toMatchObject({ id: `${kind}-1`, kind, baseUrl: 'http://127.0.0.1:11434' });
    }
  });
});
