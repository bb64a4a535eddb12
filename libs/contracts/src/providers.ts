export const PROVIDER_KINDS = ['ollama', 'openai', 'anthropic'] as const;
/** `openai` also covers every OpenAI-compatible host (vLLM, LM Studio, OpenRouter, Groq…). */
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

export const MODEL_TIERS = ['local', 'cheap', 'standard', 'premium'] as const;
export type ModelTier = (typeof MODEL_TIERS)[number];

export interface ProviderView {
  id: string;
  kind: ProviderKind;
  name: string;
  baseUrl: string;
  enabled: boolean;
  /** `env`: follows the environment at each start; `admin`: set through the API. */
  managedBy: 'env' | 'admin';
  hasApiKey: boolean;
  healthy: boolean;
  /** True when this host is Margin's LLM emulator, not a real model server. */
  emulated: boolean;
  latencyMs: number | null;
  error: string | null;
  models: string[];
  checkedAt: string | null;
}

export interface CreateProviderRequest {
  id: string;
  kind: ProviderKind;
  name: string;
  baseUrl: string;
  apiKey?: string;
  enabled?: boolean;
}

export interface UpdateProviderRequest {
  name?: string;
  baseUrl?: string;
  /** A new key, or null to remove it. */
  apiKey?: string | null;
  enabled?: boolean;
}

/** USD per million tokens. */
export interface ModelPriceView {
  inputPerMTok: number;
  cachedInputPerMTok: number;
  outputPerMTok: number;
  effectiveFrom: string;
}

export interface ModelView {
  /** `<provider>/<model>`, e.g. `openai/gpt-4o-mini` (URL-encode it in paths). */
  id: string;
  providerId: string;
  name: string;
  tier: ModelTier;
  contextWindow: number;
  capabilities: string[];
  enabled: boolean;
  /** Local models: USD per GPU-hour amortized over calls (null: local calls cost $0). */
  gpuUsdPerHour: number | null;
  /** Requests the GPU serves at once (divides the amortized GPU cost). */
  parallelSlots: number;
  /** Global limits, enforced across every worker (null: none). */
  rpm: number | null;
  tpm: number | null;
  maxConcurrency: number | null;
  /** The price in force now (null when none is in force yet). */
  price: ModelPriceView | null;
  /** Every price, newest first: scheduled ones included. */
  priceHistory: ModelPriceView[];
  /** A fine-tuned model's base (`<provider>/<model>`); null for a base model. Always sent by the server. */
  baseModel?: string | null;
}

/**
 * Registers a fine-tuned model (an Ollama model name, or an OpenAI `ft:` id) trained from `baseModel`.
 * Capabilities come from the base; tier, context window, limits and, unless given, the price too.
 */
export interface RegisterModelRequest {
  /** The base model's id, e.g. `openai/gpt-4o-mini` or `ollama/qwen3:8b`. */
  baseModel: string;
  /** The name the provider serves it by: `ft:gpt-4o-mini-2024-07-18:acme:songs:AbC123` or `qwen3-songs:8b`. */
  name: string;
  tier?: ModelTier;
  contextWindow?: number;
  enabled?: boolean;
  /** Its own price (e.g. OpenAI's fine-tuned inference price), in force from now; default: the base's. */
  price?: { inputPerMTok: number; cachedInputPerMTok?: number; outputPerMTok: number };
}

export interface UpdateModelRequest {
  tier?: ModelTier;
  enabled?: boolean;
  contextWindow?: number;
  gpuUsdPerHour?: number | null;
  parallelSlots?: number;
  rpm?: number | null;
  tpm?: number | null;
  maxConcurrency?: number | null;
  /** A new price, in force from `effectiveFrom` (default: now; never in the past). */
  price?: { inputPerMTok: number; cachedInputPerMTok?: number; outputPerMTok: number; effectiveFrom?: string };
}

export const COMPLEXITIES = ['simple', 'medium', 'complex'] as const;
export type Complexity = (typeof COMPLEXITIES)[number];

export interface PolicyCell {
  operation: string;
  complexity: Complexity;
  /** Model ids in order of preference; later ones are the fallback chain. */
  candidates: string[];
  /** Sends `share` (0..1) of this cell's traffic to `challenger` first. */
  abTest?: { challenger: string; share: number } | null;
}

export interface RoutingPolicyView {
  /** The installation-wide policy (the operator edits it). */
  global: PolicyCell[];
  /** This tenant's overrides, cell by cell. */
  tenant: PolicyCell[];
  /** What applies to this tenant: its overrides over the global policy. */
  effective: PolicyCell[];
}

export interface UpdatePolicyRequest {
  scope: 'global' | 'tenant';
  /** Cells to set. For `tenant`, a cell with no candidates removes that override. */
  cells: PolicyCell[];
}

export interface RouteRequest {
  operation: string;
  complexity?: Complexity;
  inputTokens?: number;
  maxTokens?: number;
  budgetUsd?: number;
}

export interface RouteCandidateView {
  model: string;
  provider: string;
  tier: ModelTier;
  estimatedCostUsd: number;
}

export interface RouteDecisionView {
  operation: string;
  complexity: Complexity;
  chosen: RouteCandidateView | null;
  /** Usable candidates in the order they would be tried (the first is chosen). */
  candidates: RouteCandidateView[];
  skipped: Array<{
    model: string;
    reason: 'disabled' | 'circuit-open' | 'context-window' | 'budget' | 'rate-limit' | 'unknown-model' | 'plan' | 'unsupported';
    detail: string;
  }>;
  abTest: { challenger: string; share: number; challengerChosen: boolean } | null;
  reason: string;
}
