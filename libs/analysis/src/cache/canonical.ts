import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every level: equal values always serialize the same way. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  // Loops and string concatenation rather than entries/filter/map/join: this runs for every item of every job.
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i ? ',' : '') + canonicalJson(value[i]);
    return `${out}]`;
  }
  const obj = value as Record<string, unknown>;
  // The default sort compares UTF-16 code units, as `<` does.
  const keys = Object.keys(obj).sort();
  let out = '{';
  let first = true;
  for (const k of keys) {
    const v = obj[k];
    if (v === undefined) continue;
    out += `${first ? '' : ','}${JSON.stringify(k)}:${canonicalJson(v)}`;
    first = false;
  }
  return `${out}}`;
}

/** The content address of an item whose canonical JSON is already known. */
export function inputHashOfCanonical(profileKey: string, profileVersion: number, canonical: string): string {
  return createHash('sha256').update(`${profileKey}\n${profileVersion}\n${canonical}`).digest('hex');
}

/** The content address of an item: sha256 of (profile key, profile version, canonical input). */
export function inputHash(profileKey: string, profileVersion: number, input: unknown): string {
  return inputHashOfCanonical(profileKey, profileVersion, canonicalJson(input));
}
