// Text Postgres cannot store: NUL (rejected in text and jsonb) and lone UTF-16 surrogates (rejected in jsonb,
// and not valid Unicode anywhere). Found here, they are a 400 naming the field instead of a 500 at insert.

const isWellFormed = (s: string): boolean => (s as string & { isWellFormed(): boolean }).isWellFormed();

/** What is wrong with this string, if anything. */
export function unstorableText(s: string): 'contains a NUL character' | 'contains an unpaired UTF-16 surrogate' | null {
  if (s.includes('\u0000')) return 'contains a NUL character';
  if (!isWellFormed(s)) return 'contains an unpaired UTF-16 surrogate';
  return null;
}

/** The first string (value or key) anywhere in `value` that cannot be stored, as a problem `"<path> <what>"`. */
export function findUnstorableText(value: unknown, path: string, depth = 0): string | null {
  if (typeof value === 'string') {
    const what = unstorableText(value);
    return what ? `${path} ${what}` : null;
  }
  if (value === null || typeof value !== 'object' || depth > 256) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findUnstorableText(value[i], `${path}.${i}`, depth + 1);
      if (found) return found;
    }
    return null;
  }
  for (const [k, v] of Object.entries(value)) {
    const bad = unstorableText(k);
    if (bad) return `${path} has a property name that ${bad}`;
    const found = findUnstorableText(v, `${path}.${k}`, depth + 1);
    if (found) return found;
  }
  return null;
}
