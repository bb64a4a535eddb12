/** Shared JSON Schema helpers (types, $ref resolution, keyword access). */

export type JsonSchema = boolean | JsonSchemaObject;

/** A JSON Schema object; keywords are read through the typed helpers below. */
export interface JsonSchemaObject {
  [keyword: string]: unknown;
}

export type JsonType = 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array' | 'null';

export const JSON_TYPES: readonly JsonType[] = ['string', 'number', 'integer', 'boolean', 'object', 'array', 'null'];

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isSchema(value: unknown): value is JsonSchema {
  return typeof value === 'boolean' || isPlainObject(value);
}

export function num(schema: JsonSchemaObject, key: string): number | undefined {
  const v = schema[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function str(schema: JsonSchemaObject, key: string): string | undefined {
  const v = schema[key];
  return typeof v === 'string' ? v : undefined;
}

export function sub(schema: JsonSchemaObject, key: string): JsonSchema | undefined {
  const v = schema[key];
  return isSchema(v) ? v : undefined;
}

export function subList(schema: JsonSchemaObject, key: string): JsonSchema[] | undefined {
  const v = schema[key];
  return Array.isArray(v) ? v.filter(isSchema) : undefined;
}

export function subMap(schema: JsonSchemaObject, key: string): Record<string, JsonSchema> | undefined {
  const v = schema[key];
  if (!isPlainObject(v)) return undefined;
  const out: Record<string, JsonSchema> = {};
  for (const [k, s] of Object.entries(v)) if (isSchema(s)) out[k] = s;
  return out;
}

export function stringList(schema: JsonSchemaObject, key: string): string[] {
  const v = schema[key];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** Declared types of a schema (undefined when `type` is absent). Adds 'null' for OpenAPI `nullable: true`. */
export function declaredTypes(schema: JsonSchemaObject): JsonType[] | undefined {
  const t = schema['type'];
  let types: JsonType[] | undefined;
  if (typeof t === 'string') types = JSON_TYPES.includes(t as JsonType) ? [t as JsonType] : [];
  else if (Array.isArray(t)) types = t.filter((x): x is JsonType => JSON_TYPES.includes(x as JsonType));
  if (types && schema['nullable'] === true && !types.includes('null')) types = [...types, 'null'];
  return types;
}

function unescapePointer(token: string): string {
  return decodeURIComponent(token).replace(/~1/g, '/').replace(/~0/g, '~');
}

/** Resolves a local `$ref` ("#", "#/$defs/x", "#/definitions/x", any JSON pointer). */
export function resolveRef(root: JsonSchema, ref: string): JsonSchema | undefined {
  if (!ref.startsWith('#')) return undefined;
  const pointer = ref.slice(1);
  if (pointer === '' || pointer === '/') return root;
  let node: unknown = root;
  for (const token of pointer.replace(/^\//, '').split('/')) {
    const key = unescapePointer(token);
    if (Array.isArray(node)) node = node[Number(key)];
    else if (isPlainObject(node)) node = node[key];
    else return undefined;
  }
  return isSchema(node) ? node : undefined;
}

export function jsonTypeOf(value: unknown): JsonType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'boolean';
  return 'object';
}
