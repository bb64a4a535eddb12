// JSON Schema compilation shared by structured output (providers) and profiles (analysis): the same Ajv
// settings everywhere, draft 2020-12 unless a schema is older, one compiled validator per distinct schema.
import Ajv, { type ValidateFunction } from 'ajv';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { LRUCache } from 'lru-cache';

export type JsonSchemaObject = Record<string, unknown>;

type AjvInstance = Ajv | Ajv2020;
type Draft = 'draft-07' | '2020-12';

const AJV_OPTIONS = { strict: false, allErrors: true, allowUnionTypes: true, validateFormats: true } as const;
const MAX_CACHED = 500;

export class JsonSchemaCompileError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'JsonSchemaCompileError';
  }
}

function newAjv(draft: Draft): AjvInstance {
  const ajv = draft === '2020-12' ? new Ajv2020(AJV_OPTIONS) : new Ajv(AJV_OPTIONS);
  addFormats(ajv);
  return ajv;
}

const shared: Partial<Record<Draft, AjvInstance>> = {};
const cache = new LRUCache<string, ValidateFunction>({ max: MAX_CACHED });
/** The same schema object again (a profile's step, the catalog's): skips serializing it for the key on every call. */
const byObject = new WeakMap<JsonSchemaObject, ValidateFunction>();

export function isJsonObject(v: unknown): v is JsonSchemaObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Whether a schema uses draft-07 forms that 2020-12 dropped (array `items`, `additionalItems`, `dependencies`). */
function usesDraft07Forms(node: unknown): boolean {
  if (Array.isArray(node)) return node.some(usesDraft07Forms);
  if (!isJsonObject(node)) return false;
  if (Array.isArray(node['items']) || 'additionalItems' in node || isJsonObject(node['dependencies'])) return true;
  return Object.values(node).some(usesDraft07Forms);
}

/** Draft 2020-12 unless the schema says (or shows) it is an older draft. */
function draftOf(schema: JsonSchemaObject): Draft {
  const declared = typeof schema['$schema'] === 'string' ? schema['$schema'] : '';
  if (/draft-0[4-7]/.test(declared)) return 'draft-07';
  if (declared.includes('2020-12') || declared.includes('2019-09')) return '2020-12';
  return usesDraft07Forms(schema) ? 'draft-07' : '2020-12';
}

/** Compiles (once per distinct schema) an Ajv validator; throws JsonSchemaCompileError for a schema Ajv refuses. */
export function compileJsonSchema(schema: JsonSchemaObject): ValidateFunction {
  const known = byObject.get(schema);
  if (known) return known;
  const key = JSON.stringify(schema);
  const hit = cache.get(key);
  if (hit) {
    if (Object.isFrozen(schema)) byObject.set(schema, hit);
    return hit;
  }
  const draft = draftOf(schema);
  // `$schema` picks the Ajv class above; left in, Ajv would look for a meta-schema it does not have
  const { $schema: _ignored, ...body } = schema;
  let validate: ValidateFunction;
  try {
    try {
      validate = (shared[draft] ??= newAjv(draft)).compile(body);
    } catch (e) {
      // two different schemas with the same `$id` cannot share one Ajv instance
      if (!(e instanceof Error) || !/already exists/.test(e.message)) throw e;
      validate = newAjv(draft).compile(body);
    }
  } catch (e) {
    throw new JsonSchemaCompileError(e instanceof Error ? e.message : String(e), { cause: e });
  }
  cache.set(key, validate);
  // only a frozen schema can be remembered by identity: a mutable one could change under the same object
  if (Object.isFrozen(schema)) byObject.set(schema, validate);
  return validate;
}
