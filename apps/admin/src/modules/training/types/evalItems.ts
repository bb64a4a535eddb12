// The "new eval set" form's pasted items: a JSON array of {input, expected?}, checked before it is sent.
import type { CreateEvalSetRequest } from '@margin/contracts';

export type EvalItems = NonNullable<CreateEvalSetRequest['items']>;

export const MAX_EVAL_ITEMS = 1000;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The items, or what is wrong with the text (naming the item). */
export function parseEvalItems(text: string): { ok: true; items: EvalItems } | { ok: false; error: string } {
  if (text.trim() === '') return { ok: false, error: 'Paste the items: a JSON array of {"input": {…}, "expected": …}.' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text) as unknown;
  } catch (error) {
    return { ok: false, error: `The items are not valid JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (!Array.isArray(parsed)) return { ok: false, error: 'The items must be a JSON array.' };
  if (parsed.length === 0) return { ok: false, error: 'Add at least one item.' };
  if (parsed.length > MAX_EVAL_ITEMS) return { ok: false, error: `At most ${MAX_EVAL_ITEMS} items (there are ${parsed.length}).` };
  const items: EvalItems = [];
  for (const [index, item] of parsed.entries()) {
    if (!isObject(item) || !isObject(item.input)) return { ok: false, error: `Item ${index + 1} needs an "input" object.` };
    items.push(item.expected === undefined ? { input: item.input } : { input: item.input, expected: item.expected });
  }
  return { ok: true, items };
}
