// The adapter for a connection's kind.
import { AnthropicProvider } from './adapters/anthropic.adapter';
import type { AdapterOptions } from './adapters/adapter-support';
import { OllamaProvider } from './adapters/ollama.adapter';
import { OpenAiProvider } from './adapters/openai.adapter';
import type { LlmProvider, ProviderConnection } from './llm-provider';

export function createProvider(connection: ProviderConnection, options: AdapterOptions = {}): LlmProvider {
  switch (connection.kind) {
    case 'ollama':
      return new OllamaProvider(connection, options);
    case 'openai':
      return new OpenAiProvider(connection, options);
    case 'anthropic':
      return new AnthropicProvider(connection, options);
  }
}
