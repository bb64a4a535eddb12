import Ajv, { type ErrorObject, type Options, type ValidateFunction } from 'ajv';
import Ajv2020 from 'ajv/dist/2020';
import type { RegExpEngine } from 'ajv/dist/types';
import { fullFormats } from 'ajv-formats/dist/formats';
import { LRUCache } from 'lru-cache';
import { isPlainObject, type JsonSchema, type JsonSchemaObject } from './json-schema';

/**
 * JSON Schema validation (Ajv; draft-07 and 2020-12). The emulator uses it to double-check what it
 * generates, and to make sure that a "schema-violation" fault really violates the schema.
 */

export interface ValidationError {
  path: string;
  message: string;
}

const patterns = new LRUCache<string, { re: RegExp | null }>({ max: 1000 });

/** A `pattern` as a RegExp: Unicode mode when the pattern allows it, else without; null when it is not a regex at all. */
export function compilePattern(pattern: string): RegExp | null {
  const hit = patterns.get(pattern);
  if (hit) return hit.re;
  let re: RegExp | null = null;
  try {
    re = new RegExp(pattern, 'u');
  } catch {
    try {
      re = new RegExp(pattern);
    } catch {
      re = null;
    }
  }
  patterns.set(pattern, { re });
  return re;
}

// Clients send patterns written for other regex dialects: one that is not a valid regex constrains nothing.
const lenientRegExp: RegExpEngine = Object.assign((pattern: string) => compilePattern(pattern) ?? { test: () => true }, { code: 'compilePattern' });

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const IRI = /^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s]*$/;

const OPTIONS: Options = {
  strict: false,
  allErrors: true,
  allowUnionTypes: true,
  logger: false,
  code: { regExp: lenientRegExp },
  formats: {
    ...fullFormats,
    // a time of day without a zone is a time too
    time: fullFormats['iso-time'],
    // formats ajv-formats does not know, checked loosely
    'idn-email': EMAIL,
    iri: IRI,
    'iri-reference': /^\S*$/,
  },
};

type AjvInstance = Ajv | Ajv2020;
const ROOT_ID = 'urn:margin-emulator:root';

/** Whether a schema uses draft-07 forms that 2020-12 dropped (array `items`, `additionalItems`, `dependencies`). */
function usesDraft07Forms(node: unknown): boolean {
  if (Array.isArray(node)) return node.some(usesDraft07Forms);
  if (!isPlainObject(node)) return false;
  if (Array.isArray(node['items']) || 'additionalItems' in node || isPlainObject(node['dependencies'])) return true;
  return Object.values(node).some(usesDraft07Forms);
}

/**
 * A copy Ajv accepts and reads as the emulator means it: local `$ref`s point into the root document (a
 * sub-schema is validated with its document's definitions); OpenAPI's `nullable` without a `type`, which
 * Ajv refuses, is dropped (it adds nothing to no type); draft-04's boolean `exclusiveMinimum`/`exclusiveMaximum`
 * become the numbers later drafts use.
 */
function prepare(node: unknown, refBase: string): unknown {
  if (Array.isArray(node)) return node.map((n) => prepare(n, refBase));
  if (!isPlainObject(node)) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$ref' && typeof value === 'string' && value.startsWith('#')) out[key] = `${refBase}${value}`;
    else if (key === 'nullable' && !('type' in node)) continue;
    else out[key] = prepare(value, refBase);
  }
  for (const [flag, bound] of [
    ['exclusiveMinimum', 'minimum'],
    ['exclusiveMaximum', 'maximum'],
  ] as const) {
    if (typeof out[flag] !== 'boolean') continue;
    if (out[flag] && typeof out[bound] === 'number') {
      out[flag] = out[bound];
      delete out[bound];
    } else delete out[flag];
  }
  return out;
}

type Compiled = { validate: ValidateFunction } | { error: string };

/** One Ajv instance per root document, holding the root and the sub-schemas validated against it. */
class Engine {
  private readonly ajv: AjvInstance;
  private readonly compiled = new LRUCache<string, Compiled>({ max: 500 });
  private readonly rootError: string | null = null;

  constructor(root: JsonSchemaObject) {
    this.ajv = usesDraft07Forms(root) ? new Ajv(OPTIONS) : new Ajv2020(OPTIONS);
    // `$schema` would send Ajv looking for a meta-schema it does not have; `$id` is replaced by ours
    const { $schema: _schema, $id: _id, ...body } = root;
    try {
      this.ajv.addSchema({ ...(prepare(body, '') as JsonSchemaObject), $id: ROOT_ID });
      this.ajv.getSchema(ROOT_ID);
    } catch (e) {
      this.rootError = e instanceof Error ? e.message : String(e);
    }
  }

  validator(schema: JsonSchemaObject | null): Compiled {
    if (this.rootError !== null) return { error: this.rootError };
    if (schema === null) {
      const validate = this.ajv.getSchema(ROOT_ID);
      return validate ? { validate } : { error: 'the schema did not compile' };
    }
    const key = JSON.stringify(schema);
    const hit = this.compiled.get(key);
    if (hit) return hit;
    const { $schema: _schema, $id: _id, ...body } = schema;
    let compiled: Compiled;
    try {
      compiled = { validate: this.ajv.compile(prepare(body, ROOT_ID) as JsonSchemaObject) };
    } catch (e) {
      compiled = { error: e instanceof Error ? e.message : String(e) };
    }
    this.compiled.set(key, compiled);
    return compiled;
  }
}

const engines = new LRUCache<string, Engine>({ max: 200 });
/** A root document is usually validated against many times in a row: its key is computed once per object. */
const rootKeys = new WeakMap<JsonSchemaObject, string>();

function engineFor(root: JsonSchemaObject): Engine {
  let key = rootKeys.get(root);
  if (key === undefined) {
    key = JSON.stringify(root);
    rootKeys.set(root, key);
  }
  let engine = engines.get(key);
  if (!engine) {
    engine = new Engine(root);
    engines.set(key, engine);
  }
  return engine;
}

const toError = (e: ErrorObject): ValidationError => ({ path: e.instancePath || '/', message: e.message ?? e.keyword });

/**
 * Validates `value` against `schema`; returns the list of errors (empty when valid).
 * `root` is the document that local `$ref`s resolve against (defaults to `schema`).
 */
export function validateJsonSchema(schema: unknown, value: unknown, root?: unknown): ValidationError[] {
  const s: JsonSchema = typeof schema === 'boolean' || isPlainObject(schema) ? schema : true;
  if (s === true) return [];
  if (s === false) return [{ path: '/', message: 'no value is allowed here (false schema)' }];
  const r = isPlainObject(root) ? root : s;
  const compiled = engineFor(r).validator(s === r ? null : s);
  if ('error' in compiled) return [{ path: '/', message: `the schema cannot be used: ${compiled.error}` }];
  return compiled.validate(value) ? [] : (compiled.validate.errors ?? []).map(toError);
}

export function isValidJsonSchema(schema: unknown, value: unknown): boolean {
  return validateJsonSchema(schema, value).length === 0;
}

/** Whether a string is in `format` by the same checks as validation (an unknown format admits anything). */
export function checkFormat(format: string, value: string): boolean {
  return validateJsonSchema({ type: 'string', format }, value).length === 0;
}
