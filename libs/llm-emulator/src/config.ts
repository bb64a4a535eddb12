import { readFileSync } from 'node:fs';

export const EMULATOR_NAME = 'margin-llm-emulator';
export const EMULATOR_VERSION = '0.1.0';

export type Protocol = 'ollama' | 'openai' | 'anthropic';
export const PROTOCOLS: readonly Protocol[] = ['ollama', 'openai', 'anthropic'];

export const FAULT_KINDS = ['500', '503', 'hang', 'malformed-json', 'schema-violation', 'stream-cut', '401', '429'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export function isFaultKind(value: unknown): value is FaultKind {
  return typeof value === 'string' && (FAULT_KINDS as readonly string[]).includes(value);
}

/** How a model behaves; every field can be set in `defaults` and overridden per model. */
export interface ModelBehavior {
  /** Latency to the first token, in milliseconds. */
  latencyMs: number;
  /** Generation speed; 0 means instant. */
  tokensPerSecond: number;
  /** Requests processed at once (like OLLAMA_NUM_PARALLEL); the rest wait in a FIFO queue. */
  parallel: number;
  /** Maximum requests waiting for a slot; beyond that the answer is 503 (like OLLAMA_MAX_QUEUE). */
  maxQueue: number;
  /** Requests per minute (token bucket); 0 = unlimited. */
  rpm: number;
  /** Tokens per minute (token bucket, prompt + max output tokens); 0 = unlimited. */
  tpm: number;
  /** Context window in tokens; longer prompts are rejected (OpenAI/Anthropic) or truncated (Ollama). */
  contextWindow: number;
  /** Hidden reasoning tokens added to the completion usage of every answer. */
  reasoningTokens: number;
  /** Natural length range of prose answers (tokens) when the prompt does not ask for a size. */
  completionTokens: { min: number; max: number };
  /** Probability (0..1) of each fault, per request. */
  faults: Partial<Record<FaultKind, number>>;
}

export interface ModelIdentity {
  name: string;
  /** The protocol the model natively belongs to (any protocol can serve any model). */
  protocol: Protocol;
  ownedBy?: string;
  displayName?: string;
  family?: string;
  parameterSize?: string;
  quantization?: string;
  sizeBytes?: number;
  /** unix seconds */
  created?: number;
  /**
   * A fine-tuned model: the configured model it was trained from. It behaves like the base (speed, limits,
   * context window, protocol) except where its own entry says otherwise.
   */
  base?: string;
}

export type ModelEntry = ModelIdentity & Partial<ModelBehavior>;
/** A model name nobody configured but whose base is known (an OpenAI `ft:` id, an Ollama name extending a model). */
const MAX_BASE_DEPTH = 4;
export type ResolvedModel = ModelIdentity &
  ModelBehavior &
  Required<Pick<ModelIdentity, 'ownedBy' | 'displayName' | 'family' | 'parameterSize' | 'quantization' | 'sizeBytes' | 'created'>>;

export interface EmulatorConfig {
  seed: string;
  /**
   * Multiplies every configured latency and generation time (0 = instant, 0.1 = ten times faster).
   * Per-request headers (x-emulator-latency-ms, x-emulator-tokens-per-second) are not scaled.
   */
  timeScale: number;
  /** When non-empty, OpenAI and Anthropic routes require one of these keys; otherwise any key is accepted. */
  apiKeys: string[];
  ollamaVersion: string;
  promptCache: { minTokens: number; ttlSeconds: number };
  defaults: ModelBehavior;
  models: ModelEntry[];
}

/** The JSON file format (every field optional). */
export interface EmulatorConfigInput {
  seed?: string;
  timeScale?: number;
  apiKeys?: string[];
  ollamaVersion?: string;
  promptCache?: Partial<EmulatorConfig['promptCache']>;
  defaults?: Partial<ModelBehavior>;
  /** Merged by name onto the built-in list (new names are appended) unless `replaceModels` is true. */
  models?: Array<Partial<ModelEntry> & { name: string }>;
  replaceModels?: boolean;
}

export class ConfigError extends Error {}

export const DEFAULT_BEHAVIOR: ModelBehavior = {
  latencyMs: 250,
  tokensPerSecond: 60,
  parallel: 4,
  maxQueue: 512,
  rpm: 0,
  tpm: 0,
  contextWindow: 131072,
  reasoningTokens: 0,
  completionTokens: { min: 40, max: 160 },
  faults: {},
};

export const DEFAULT_MODELS: ModelEntry[] = [
  {
    name: 'qwen3:8b',
    protocol: 'ollama',
    family: 'qwen3',
    parameterSize: '8.2B',
    quantization: 'Q4_K_M',
    sizeBytes: 5225388164,
    contextWindow: 40960,
    latencyMs: 300,
    tokensPerSecond: 45,
    parallel: 4,
  },
  {
    name: 'llama3.1:8b',
    protocol: 'ollama',
    family: 'llama',
    parameterSize: '8.0B',
    quantization: 'Q4_K_M',
    sizeBytes: 4920753328,
    contextWindow: 131072,
    latencyMs: 250,
    tokensPerSecond: 50,
    parallel: 4,
  },
  {
    name: 'mistral:7b',
    protocol: 'ollama',
    family: 'llama',
    parameterSize: '7.2B',
    quantization: 'Q4_K_M',
    sizeBytes: 4372824384,
    contextWindow: 32768,
    latencyMs: 220,
    tokensPerSecond: 55,
    parallel: 4,
  },
  { name: 'gpt-4o-mini', protocol: 'openai', contextWindow: 128000, latencyMs: 350, tokensPerSecond: 90, parallel: 64, rpm: 500, tpm: 200000 },
  { name: 'gpt-4.1-mini', protocol: 'openai', contextWindow: 1047576, latencyMs: 400, tokensPerSecond: 80, parallel: 64, rpm: 500, tpm: 200000 },
  { name: 'gpt-4o', protocol: 'openai', contextWindow: 128000, latencyMs: 500, tokensPerSecond: 60, parallel: 64, rpm: 500, tpm: 30000 },
  {
    name: 'claude-haiku-4-5',
    protocol: 'anthropic',
    displayName: 'Claude Haiku 4.5',
    contextWindow: 200000,
    latencyMs: 400,
    tokensPerSecond: 100,
    parallel: 64,
    rpm: 50,
    tpm: 50000,
  },
  {
    name: 'claude-sonnet-4-5',
    protocol: 'anthropic',
    displayName: 'Claude Sonnet 4.5',
    contextWindow: 200000,
    latencyMs: 700,
    tokensPerSecond: 60,
    parallel: 64,
    rpm: 50,
    tpm: 30000,
  },
];

export function defaultConfig(): EmulatorConfig {
  return {
    seed: 'margin',
    timeScale: 1,
    apiKeys: [],
    ollamaVersion: '0.12.6',
    promptCache: { minTokens: 1024, ttlSeconds: 300 },
    defaults: structuredClone(DEFAULT_BEHAVIOR),
    models: structuredClone(DEFAULT_MODELS),
  };
}

// --- validation ---------------------------------------------------------------------------

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkNumber(path: string, v: unknown, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw new ConfigError(`${path} must be a number between ${min} and ${max} (got ${JSON.stringify(v)})`);
  }
  return v;
}

const BEHAVIOR_NUMBER_KEYS = ['latencyMs', 'tokensPerSecond', 'parallel', 'maxQueue', 'rpm', 'tpm', 'contextWindow', 'reasoningTokens'] as const;
const IDENTITY_STRING_KEYS = ['ownedBy', 'displayName', 'family', 'parameterSize', 'quantization'] as const;

function checkBehavior(path: string, v: Record<string, unknown>, allowed: Set<string>): Partial<ModelBehavior> {
  const out: Partial<ModelBehavior> = {};
  for (const key of Object.keys(v)) {
    if (!allowed.has(key)) throw new ConfigError(`${path}.${key} is not a known setting`);
  }
  for (const key of BEHAVIOR_NUMBER_KEYS) {
    if (v[key] === undefined) continue;
    const min = key === 'parallel' || key === 'contextWindow' ? 1 : 0;
    const n = checkNumber(`${path}.${key}`, v[key], min);
    out[key] = key === 'latencyMs' || key === 'tokensPerSecond' ? n : Math.floor(n);
  }
  if (v['completionTokens'] !== undefined) {
    const ct = v['completionTokens'];
    if (!isObject(ct)) throw new ConfigError(`${path}.completionTokens must be {"min": n, "max": n}`);
    const min = Math.floor(checkNumber(`${path}.completionTokens.min`, ct['min'], 1));
    const max = Math.floor(checkNumber(`${path}.completionTokens.max`, ct['max'], min));
    out.completionTokens = { min, max };
  }
  if (v['faults'] !== undefined) {
    const f = v['faults'];
    if (!isObject(f)) throw new ConfigError(`${path}.faults must be an object of fault kind -> probability`);
    const faults: Partial<Record<FaultKind, number>> = {};
    for (const [k, p] of Object.entries(f)) {
      if (!isFaultKind(k)) throw new ConfigError(`${path}.faults.${k} is not a fault kind (one of ${FAULT_KINDS.join(', ')})`);
      faults[k] = checkNumber(`${path}.faults.${k}`, p, 0, 1);
    }
    out.faults = faults;
  }
  return out;
}

const BEHAVIOR_KEYS = new Set<string>([...BEHAVIOR_NUMBER_KEYS, 'completionTokens', 'faults']);
const MODEL_KEYS = new Set<string>([...BEHAVIOR_KEYS, ...IDENTITY_STRING_KEYS, 'name', 'protocol', 'sizeBytes', 'created', 'base']);
const TOP_KEYS = new Set(['seed', 'timeScale', 'apiKeys', 'ollamaVersion', 'promptCache', 'defaults', 'models', 'replaceModels', '$schema', 'comment']);

/** Validates raw JSON and returns it typed; throws ConfigError with a clear message. */
export function parseConfigInput(raw: unknown, source = 'config'): EmulatorConfigInput {
  if (!isObject(raw)) throw new ConfigError(`${source}: the configuration must be a JSON object`);
  for (const key of Object.keys(raw)) if (!TOP_KEYS.has(key)) throw new ConfigError(`${source}: "${key}" is not a known setting`);
  const out: EmulatorConfigInput = {};
  if (raw['seed'] !== undefined) {
    if (typeof raw['seed'] !== 'string') throw new ConfigError(`${source}: seed must be a string`);
    out.seed = raw['seed'];
  }
  if (raw['timeScale'] !== undefined) out.timeScale = checkNumber(`${source}: timeScale`, raw['timeScale'], 0, 1000);
  if (raw['ollamaVersion'] !== undefined) {
    if (typeof raw['ollamaVersion'] !== 'string') throw new ConfigError(`${source}: ollamaVersion must be a string`);
    out.ollamaVersion = raw['ollamaVersion'];
  }
  if (raw['apiKeys'] !== undefined) {
    const keys = raw['apiKeys'];
    if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) throw new ConfigError(`${source}: apiKeys must be an array of strings`);
    out.apiKeys = keys as string[];
  }
  if (raw['replaceModels'] !== undefined) {
    if (typeof raw['replaceModels'] !== 'boolean') throw new ConfigError(`${source}: replaceModels must be true or false`);
    out.replaceModels = raw['replaceModels'];
  }
  if (raw['promptCache'] !== undefined) {
    const pc = raw['promptCache'];
    if (!isObject(pc)) throw new ConfigError(`${source}: promptCache must be an object`);
    out.promptCache = {};
    if (pc['minTokens'] !== undefined) out.promptCache.minTokens = checkNumber(`${source}: promptCache.minTokens`, pc['minTokens']);
    if (pc['ttlSeconds'] !== undefined) out.promptCache.ttlSeconds = checkNumber(`${source}: promptCache.ttlSeconds`, pc['ttlSeconds']);
  }
  if (raw['defaults'] !== undefined) {
    if (!isObject(raw['defaults'])) throw new ConfigError(`${source}: defaults must be an object`);
    out.defaults = checkBehavior(`${source}: defaults`, raw['defaults'], BEHAVIOR_KEYS);
  }
  if (raw['models'] !== undefined) {
    const models = raw['models'];
    if (!Array.isArray(models)) throw new ConfigError(`${source}: models must be an array`);
    out.models = models.map((m, i) => {
      const path = `${source}: models[${i}]`;
      if (!isObject(m)) throw new ConfigError(`${path} must be an object`);
      if (typeof m['name'] !== 'string' || m['name'].length === 0) throw new ConfigError(`${path}.name must be a non-empty string`);
      const entry: Partial<ModelEntry> & { name: string } = { name: m['name'], ...checkBehavior(`${path}`, m, MODEL_KEYS) };
      if (m['protocol'] !== undefined) {
        if (m['protocol'] !== 'ollama' && m['protocol'] !== 'openai' && m['protocol'] !== 'anthropic') {
          throw new ConfigError(`${path}.protocol must be "ollama", "openai" or "anthropic"`);
        }
        entry.protocol = m['protocol'];
      }
      for (const key of IDENTITY_STRING_KEYS) {
        if (m[key] === undefined) continue;
        if (typeof m[key] !== 'string') throw new ConfigError(`${path}.${key} must be a string`);
        entry[key] = m[key];
      }
      if (m['base'] !== undefined) {
        if (typeof m['base'] !== 'string' || m['base'].length === 0 || m['base'] === m['name']) {
          throw new ConfigError(`${path}.base must be the name of another model`);
        }
        entry.base = m['base'];
      }
      if (m['sizeBytes'] !== undefined) entry.sizeBytes = checkNumber(`${path}.sizeBytes`, m['sizeBytes']);
      if (m['created'] !== undefined) entry.created = checkNumber(`${path}.created`, m['created']);
      return entry;
    });
  }
  return out;
}

/** Applies a (validated) input onto a configuration, returning a new configuration. */
export function applyConfig(base: EmulatorConfig, input: EmulatorConfigInput): EmulatorConfig {
  const next: EmulatorConfig = structuredClone(base);
  if (input.seed !== undefined) next.seed = input.seed;
  if (input.timeScale !== undefined) next.timeScale = input.timeScale;
  if (input.apiKeys !== undefined) next.apiKeys = [...input.apiKeys];
  if (input.ollamaVersion !== undefined) next.ollamaVersion = input.ollamaVersion;
  if (input.promptCache) next.promptCache = { ...next.promptCache, ...input.promptCache };
  if (input.defaults) next.defaults = { ...next.defaults, ...structuredClone(input.defaults) };
  if (input.models) {
    if (input.replaceModels) next.models = [];
    for (const m of input.models) {
      const i = next.models.findIndex((x) => x.name === m.name);
      const existing = next.models[i];
      if (existing) next.models[i] = { ...existing, ...structuredClone(m) };
      else {
        // A fine-tuned model speaks its base's protocol unless told otherwise.
        const protocol = m.protocol ?? next.models.find((x) => x.name === m.base)?.protocol ?? 'openai';
        next.models.push({ ...structuredClone(m), protocol });
      }
    }
  }
  return next;
}

export function resolveConfig(input?: EmulatorConfigInput): EmulatorConfig {
  return input ? applyConfig(defaultConfig(), parseConfigInput(input)) : defaultConfig();
}

export function loadConfigFile(path: string): EmulatorConfigInput {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read the emulator configuration ${path}: ${(e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`${path} is not valid JSON: ${(e as Error).message}`);
  }
  return parseConfigInput(raw, path);
}

function ownerOf(protocol: Protocol): string {
  return protocol === 'ollama' ? 'library' : protocol === 'openai' ? 'openai' : 'anthropic';
}

/** Full settings of a model: defaults, then the model's own entry. */
export function resolveModel(config: EmulatorConfig, entry: ModelEntry): ResolvedModel {
  const d = config.defaults;
  return {
    ...d,
    ...entry,
    completionTokens: entry.completionTokens ?? d.completionTokens,
    faults: { ...d.faults, ...(entry.faults ?? {}) },
    ownedBy: entry.ownedBy ?? ownerOf(entry.protocol),
    displayName: entry.displayName ?? entry.name,
    family: entry.family ?? entry.name.split(/[:\-.]/)[0] ?? entry.name,
    parameterSize: entry.parameterSize ?? '',
    quantization: entry.quantization ?? '',
    sizeBytes: entry.sizeBytes ?? 0,
    created: entry.created ?? 1735689600,
  };
}

function entryNamed(config: EmulatorConfig, name: string): ModelEntry | undefined {
  let entry = config.models.find((m) => m.name === name);
  // Ollama accepts "name" for "name:latest" and vice versa
  if (!entry && name.endsWith(':latest')) entry = config.models.find((m) => m.name === name.slice(0, -7));
  if (!entry && !name.includes(':')) entry = config.models.find((m) => m.name === `${name}:latest`);
  return entry;
}

/**
 * The model an unconfigured name was fine-tuned from, when the name says so: an OpenAI `ft:<base>:<org>:…` id
 * (its base, or the base without a dated snapshot suffix), or an Ollama name extending a configured one
 * (`qwen3:8b-songs`, `qwen3-songs:8b`, `acme/qwen3-songs:8b` → `qwen3:8b`). Other names stay unknown.
 */
export function derivedBaseName(config: EmulatorConfig, name: string): string | undefined {
  const ft = /^ft:([A-Za-z0-9._-]+)(?::[A-Za-z0-9._-]*){1,3}$/.exec(name);
  if (ft?.[1]) {
    const base = ft[1];
    for (const candidate of [base, base.replace(/-\d{4}-\d{2}-\d{2}$/, ''), base.replace(/-\d{4}$/, '')]) {
      if (entryNamed(config, candidate)) return candidate;
    }
    return undefined;
  }
  const ollama = /^(?:[a-z0-9][a-z0-9._-]*\/)?([a-z0-9][a-z0-9._-]*):([a-z0-9][a-z0-9._-]*)$/.exec(name);
  if (!ollama?.[1] || !ollama[2]) return undefined;
  const [model, tag] = [ollama[1], ollama[2]];
  const prefixes = (s: string): string[] => {
    const parts = s.split('-');
    return parts.map((_p, i) => parts.slice(0, parts.length - i).join('-'));
  };
  // The tag extended first (qwen3:8b-songs), then the model part (qwen3-songs:8b); the longest match wins.
  for (const t of prefixes(tag)) if (`${model}:${t}` !== name && entryNamed(config, `${model}:${t}`)) return `${model}:${t}`;
  for (const m of prefixes(model)) for (const t of prefixes(tag)) if (`${m}:${t}` !== name && entryNamed(config, `${m}:${t}`)) return `${m}:${t}`;
  return undefined;
}

function resolveNamed(config: EmulatorConfig, name: string, depth: number): ResolvedModel | undefined {
  if (depth > MAX_BASE_DEPTH) return undefined;
  const entry = entryNamed(config, name);
  if (entry?.base === undefined && entry) return resolveModel(config, entry);
  const baseName = entry ? entry.base : derivedBaseName(config, name);
  const base = baseName !== undefined ? resolveNamed(config, baseName, depth + 1) : undefined;
  if (!base) return undefined;
  // Behaviour and protocol from the base, identity (and any override) from the fine-tuned entry.
  const own = entry ?? { name, protocol: base.protocol };
  return {
    ...base,
    ...own,
    completionTokens: own.completionTokens ?? base.completionTokens,
    faults: { ...base.faults, ...(own.faults ?? {}) },
    name: entry ? entry.name : name,
    displayName: own.displayName ?? own.name,
    base: base.name,
  };
}

export function findModel(config: EmulatorConfig, name: string): ResolvedModel | undefined {
  return resolveNamed(config, name, 0);
}
