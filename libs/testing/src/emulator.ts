import { createEmulator, type Emulator } from '@margin/llm-emulator';

export interface RunningEmulator {
  emulator: Emulator;
  url: string;
  /** Environment that points Margin's three default providers at this emulator. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/** The LLM emulator on a random loopback port, instant by default (timeScale 0). */
export async function startEmulator(config: Parameters<typeof createEmulator>[0] = { timeScale: 0 }): Promise<RunningEmulator> {
  const emulator = createEmulator(config);
  const { url } = await emulator.listen(0);
  return {
    emulator,
    url,
    env: {
      OLLAMA_BASE_URL: url,
      OPENAI_BASE_URL: `${url}/v1`,
      OPENAI_API_KEY: 'sk-test-openai-key-0001',
      ANTHROPIC_BASE_URL: url,
      ANTHROPIC_API_KEY: 'sk-ant-test-key-0001',
    },
    close: () => emulator.close(),
  };
}
