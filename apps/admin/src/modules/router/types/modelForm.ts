import type { ModelTier, ModelView, UpdateModelRequest } from '@margin/contracts';

export interface ModelFormValues {
  tier: ModelTier;
  enabled: boolean;
  inputPerMTok: string;
  cachedInputPerMTok: string;
  outputPerMTok: string;
}

type PriceField = 'inputPerMTok' | 'cachedInputPerMTok' | 'outputPerMTok';
export type ModelFormErrors = Partial<Record<PriceField, string>>;

export type ModelFormResult = { ok: true; request: UpdateModelRequest; changed: boolean } | { ok: false; errors: ModelFormErrors };

const MAX_PRICE = 100_000;

export function modelFormValues(model: ModelView): ModelFormValues {
  return {
    tier: model.tier,
    enabled: model.enabled,
    inputPerMTok: model.price ? String(model.price.inputPerMTok) : '',
    cachedInputPerMTok: model.price ? String(model.price.cachedInputPerMTok) : '',
    outputPerMTok: model.price ? String(model.price.outputPerMTok) : '',
  };
}

function parsePrice(text: string, label: string, optional: boolean): { value?: number; error?: string } {
  const trimmed = text.trim().replace(/^\$/, '');
  if (trimmed === '') return optional ? {} : { error: `Enter the ${label} price (USD per 1M tokens).` };
  if (!/^(\d+(\.\d+)?|\.\d+)$/.test(trimmed)) return { error: `The ${label} price must be a number of USD, e.g. 0.15.` };
  const value = Number(trimmed);
  if (value > MAX_PRICE) return { error: `The ${label} price can be at most $100,000 per 1M tokens.` };
  const dot = trimmed.indexOf('.');
  if (dot >= 0 && trimmed.length - dot - 1 > 6) return { error: `Use at most 6 decimals for the ${label} price.` };
  return { value };
}

/** Only what changed goes to the API; a changed price is sent whole and takes effect now. */
export function parseModelForm(model: ModelView, values: ModelFormValues): ModelFormResult {
  const input = parsePrice(values.inputPerMTok, 'input', false);
  const cached = parsePrice(values.cachedInputPerMTok, 'cached input', true);
  const output = parsePrice(values.outputPerMTok, 'output', false);
  const errors: ModelFormErrors = {};
  if (input.error) errors.inputPerMTok = input.error;
  if (cached.error) errors.cachedInputPerMTok = cached.error;
  if (output.error) errors.outputPerMTok = output.error;
  if (input.error || cached.error || output.error) return { ok: false, errors };

  const request: UpdateModelRequest = {};
  if (values.tier !== model.tier) request.tier = values.tier;
  if (values.enabled !== model.enabled) request.enabled = values.enabled;
  const price = model.price;
  const priceChanged =
    !price ||
    input.value !== price.inputPerMTok ||
    output.value !== price.outputPerMTok ||
    (cached.value === undefined ? input.value !== price.cachedInputPerMTok : cached.value !== price.cachedInputPerMTok);
  if (priceChanged && input.value !== undefined && output.value !== undefined) {
    request.price = {
      inputPerMTok: input.value,
      outputPerMTok: output.value,
      ...(cached.value !== undefined ? { cachedInputPerMTok: cached.value } : {}),
    };
  }
  return { ok: true, request, changed: Object.keys(request).length > 0 };
}
