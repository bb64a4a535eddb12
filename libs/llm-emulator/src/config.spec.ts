import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyConfig, ConfigError, defaultConfig, DEFAULT_MODELS, findModel, loadConfigFile, parseConfigInput, resolveConfig } from './config';
import { parseArgs } from './cli';

describe('config', () => {
  it('ships the default model list', () => {
    expect(defaultConfig().models.map((m) => m.name)).toEqual([
      'qwen3:8b',
      'llama3.1:8b',
      'mistral:7b',
      'gpt-4o-mini',
      'gpt-4.1-mini',
      'gpt-4o',
      'claude-haiku-4-5',
      'claude-sonnet-4-5',
    ]);
    expect(DEFAULT_MODELS.filter((m) => m.protocol === 'ollama')).toHaveLength(3);
  });

  it('merges models by name, appends new ones, applies defaults', () => {
    const c = resolveConfig({
      defaults: { rpm: 7, faults: { '500': 0.5 } },
      models: [
        { name: 'gpt-4o', tpm: 1234 },
        { name: 'local-tiny', protocol: 'ollama', latencyMs: 0 },
      ],
    });
    expect(c.models).toHaveLength(9);
    const gpt = findModel(c, 'gpt-4o')!;
    expect(gpt.tpm).toBe(1234);
    expect(gpt.rpm).toBe(500); // the built-in entry keeps its own value
    const tiny = findModel(c, 'local-tiny')!;
    expect(tiny.rpm).toBe(7); // from defaults
    expect(tiny.faults).toEqual({ '500': 0.5 });
    expect(tiny.ownedBy).toBe('library');
    expect(findModel(c, 'local-tiny:latest')?.name).toBe('local-tiny');
  });

  it('replaces the list with replaceModels', () => {
    const c = resolveConfig({ replaceModels: true, models: [{ name: 'only', protocol: 'anthropic' }] });
    expect(c.models.map((m) => m.name)).toEqual(['only']);
  });

  it('rejects bad values with a clear message', () => {
    expect(() => parseConfigInput({ defaults: { latencyMs: -1 } })).toThrow(/defaults\.latencyMs must be a number/);
    expect(() => parseConfigInput({ models: [{ name: 'x', faults: { boom: 1 } }] })).toThrow(/not a fault kind/);
    expect(() => parseConfigInput({ models: [{ name: 'x', protocol: 'grpc' }] })).toThrow(/protocol must be/);
    expect(() => parseConfigInput({ nope: 1 })).toThrow(ConfigError);
    expect(() => parseConfigInput({ models: [{ latencyMs: 1 }] })).toThrow(/name must be a non-empty string/);
  });

  it('loads a JSON file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'emu-'));
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ timeScale: 0, apiKeys: ['k1'], models: [{ name: 'gpt-4o-mini', rpm: 3 }] }));
    const c = applyConfig(defaultConfig(), loadConfigFile(file));
    expect(c.timeScale).toBe(0);
    expect(c.apiKeys).toEqual(['k1']);
    expect(findModel(c, 'gpt-4o-mini')!.rpm).toBe(3);
    writeFileSync(file, '{ not json');
    expect(() => loadConfigFile(file)).toThrow(/is not valid JSON/);
  });

  it('accepts the shipped example configuration', () => {
    const c = applyConfig(defaultConfig(), loadConfigFile(join(__dirname, '../../../apps/llm-emulator/llm-emulator.config.example.json')));
    expect(findModel(c, 'my-finetune:3b')).toMatchObject({ protocol: 'ollama', parallel: 2 });
    expect(c.models).toHaveLength(9);
  });

  it('parses CLI arguments', () => {
    expect(parseArgs([], {})).toEqual({ port: 11434, host: '127.0.0.1', config: undefined });
    expect(parseArgs(['--port', '0', '--host=0.0.0.0', '--config', 'a.json'], {})).toEqual({ port: 0, host: '0.0.0.0', config: 'a.json' });
    expect(parseArgs([], { LLM_EMULATOR_CONFIG: 'env.json' }).config).toBe('env.json');
    expect(() => parseArgs(['--port', 'x'], {})).toThrow(ConfigError);
    expect(() => parseArgs(['--what'], {})).toThrow(/unknown argument/);
  });
});

describe('fine-tuned model names', () => {
  const config = resolveConfig({ models: [{ name: 'gpt-4o-mini', latencyMs: 7 }] });

  it('an OpenAI ft: id behaves like its base (dated snapshot or not), under its own name', () => {
    const m = findModel(config, 'ft:gpt-4o-mini-2024-07-18:acme:songs:AbC123');
    expect(m).toMatchObject({
      name: 'ft:gpt-4o-mini-2024-07-18:acme:songs:AbC123',
      base: 'gpt-4o-mini',
      protocol: 'openai',
      latencyMs: 7,
      contextWindow: 128000,
    });
    expect(findModel(config, 'ft:gpt-4o:personal::x1')).toMatchObject({ base: 'gpt-4o' });
    expect(findModel(config, 'ft:gpt-9-2025-01-01:acme::x1')).toBeUndefined();
  });

  it('an Ollama name extending a configured model behaves like it; unrelated names stay unknown', () => {
    for (const name of ['qwen3:8b-songs', 'qwen3-songs:8b', 'acme/qwen3-songs-v2:8b']) {
      expect(findModel(config, name)).toMatchObject({ name, base: 'qwen3:8b', protocol: 'ollama', contextWindow: 40960 });
    }
    expect(findModel(config, 'nope:1b')).toBeUndefined();
    expect(findModel(config, 'qwen3:4b')).toBeUndefined();
    expect(findModel(config, 'gpt-4o-mini-songs')).toBeUndefined();
  });

  it('a configured entry with base inherits the base’s behaviour and protocol, its own settings winning', () => {
    const c = resolveConfig({ models: [{ name: 'songs', base: 'llama3.1:8b', latencyMs: 3 } as never] });
    expect(findModel(c, 'songs')).toMatchObject({
      name: 'songs',
      base: 'llama3.1:8b',
      protocol: 'ollama',
      latencyMs: 3,
      contextWindow: 131072,
      tokensPerSecond: 50,
    });
    expect(() => parseConfigInput({ models: [{ name: 'x', base: 'x' }] })).toThrow(ConfigError);
    expect(() => parseConfigInput({ models: [{ name: 'x', base: 3 }] })).toThrow(/base must be the name of another model/);
    const loop = resolveConfig({ models: [{ name: 'a', base: 'b' } as never, { name: 'b', base: 'a' } as never] });
    expect(findModel(loop, 'a')).toBeUndefined();
  });
});
