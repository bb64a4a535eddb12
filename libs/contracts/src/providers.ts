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
  /** The price in force now (null when none is in force yet). */
  price: ModelPriceView | null;
  /** Every price, newest first: scheduled ones included. */
  priceHistory: ModelPriceView[];
}

export interface UpdateModelRequest {
  tier?: ModelTier;
  enabled?: boolean;
  contextWindow?: number;
  gpuUsdPerHour?: number | null;
  parallelSlots?: number;
  /** A new price, in force from `effectiveFrom` (default: now; never in the past). */
  price?: { inputPerMTok: number; cachedInputPerMTok?: number; outputPerMTok: number; effectiveFrom?: string };
}
