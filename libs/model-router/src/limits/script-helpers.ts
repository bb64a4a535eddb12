/** Lua helpers shared by the limits' scripts: numbers are stored as strings with full double precision. */
export const LUA_PRELUDE = `
local function fmt(x) return string.format('%.17g', x) end
`;

/**
 * The `{…}` hash-tag part of a Redis key for a `provider/model` key. Braces would break the hash tag and `%`
 * is the escape character, so those three are percent-encoded; everything else (`/`, `:`, `.`) stays readable.
 */
export function hashTag(key: string): string {
  if (key.length === 0) throw new RangeError('limit key must not be empty');
  return `{${key.replace(/[{}%]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}}`;
}
