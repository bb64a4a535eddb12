// Which names a fine-tuned model may have, per the provider that serves it.

/** OpenAI's fine-tuned ids: `ft:<base>:<org>:<suffix>:<id>` (the suffix may be empty; older ids lack a part). */
const OPENAI_FT = /^ft:([A-Za-z0-9._-]+)(?::[A-Za-z0-9._-]*){1,3}$/;
/** A base snapshot's date after the model name: `-2024-07-18`, or the older `-0613`. */
const SNAPSHOT = /^(-\d{4}-\d{2}-\d{2}|-\d{4})?$/;
/** Ollama: `[namespace/]model[:tag]`, lowercase. */
const OLLAMA = /^[a-z0-9][a-z0-9._-]*(\/[a-z0-9][a-z0-9._-]*)?(:[a-z0-9][a-z0-9._-]*)?$/;
/** Any other OpenAI-compatible host (vLLM, LM Studio…): what such servers accept as a model name. */
const GENERIC = /^[A-Za-z0-9][A-Za-z0-9._:/@+-]*$/;

/** The base model an OpenAI `ft:` id was trained from (`gpt-4o-mini-2024-07-18`), or null when it is not one. */
export function openAiFineTuneBase(name: string): string | null {
  return OPENAI_FT.exec(name)?.[1] ?? null;
}

/**
 * Why `name` cannot be a model fine-tuned from `baseName` on provider `providerId`, or null when it can:
 * OpenAI serves fine-tunes as `ft:` ids naming their base, Anthropic's API serves none, Ollama takes its own
 * model names, other OpenAI-compatible hosts any name they serve.
 */
export function fineTunedNameProblem(providerId: string, baseName: string, name: string): string | null {
  if (name.length > 150) return 'must be at most 150 characters';
  if (name === baseName) return 'must differ from the base model’s name';
  if (providerId === 'anthropic') return 'Anthropic’s API serves no fine-tuned models: register an Ollama or OpenAI one';
  if (providerId === 'openai') {
    const base = openAiFineTuneBase(name);
    if (!base) return 'an OpenAI fine-tuned model is an id like ft:gpt-4o-mini-2024-07-18:my-org:songs:AbC123';
    if (!base.startsWith(baseName) || !SNAPSHOT.test(base.slice(baseName.length)))
      return `the id was trained from ${base}, not from the base model ${baseName}`;
    return null;
  }
  if (providerId === 'ollama') return OLLAMA.test(name) ? null : 'an Ollama model name is lowercase [namespace/]model[:tag], e.g. qwen3-songs:8b';
  return GENERIC.test(name) ? null : 'must be a model name the provider serves (letters, digits and ._:/@+-)';
}
