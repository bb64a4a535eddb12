/** Public surface of the Margin LLM emulator. */
export { createEmulator, DEFAULT_HOST, DEFAULT_PORT, type Emulator, type EmulatorOptions } from './server';
export {
  applyConfig,
  ConfigError,
  defaultConfig,
  DEFAULT_BEHAVIOR,
  DEFAULT_MODELS,
  EMULATOR_NAME,
  EMULATOR_VERSION,
  FAULT_KINDS,
  findModel,
  isFaultKind,
  loadConfigFile,
  parseConfigInput,
  resolveConfig,
  type EmulatorConfig,
  type EmulatorConfigInput,
  type FaultKind,
  type ModelBehavior,
  type ModelEntry,
  type Protocol,
  type ResolvedModel,
} from './config';
export { EMULATOR_HEADER, FAULT_HEADER, LATENCY_HEADER, TPS_HEADER, type ModelStats } from './runtime';
export { fakeFromSchema, violateSchema, type FakeOptions } from './schema-faker';
export { validateJsonSchema, isValidJsonSchema, type ValidationError } from './schema-validator';
export type { JsonSchema } from './json-schema';
export { countTokens, countPromptTokens, canonicalJson, CHARS_PER_TOKEN } from './tokens';
export { RateLimiter, SlotPool, TokenBucket, formatResetDuration } from './rate-limit';
export { generate, type GenerationRequest, type Generation, type OutputSpec } from './engine';
export { parseArgs, runCli } from './cli';
export { EMBEDDING_MODELS, embeddingVector, base64Vector, findEmbeddingModel, type EmbeddingModel } from './protocols/embeddings';
export { BatchStore, DEFAULT_BATCH_KNOBS, type BatchKnobs } from './batches';
