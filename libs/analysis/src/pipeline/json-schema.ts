// JSON Schema checks for profiles: inputs, step outputs and final outputs. Same Ajv settings as the
// providers' structured-output check, so a schema that compiles here compiles there.
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { JsonSchema } from '@margin/providers';

type AjvInstance = Ajv | Ajv2020;
type Draft = 'draft-07' | '2020-12';

const AJV_OPTIONS = { strict: false, allErrors: true, allowUnionTypes: true, validateFormats: true } as const;
const MAX_CACHED = 500;
const MAX_PROBLEMS = 20;

export class SchemaCompileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SchemaCompileError';
  }
}

export interface SchemaValidator {
  /** Readable problems of `value` (empty when valid); paths are dotted and prefixed with `prefix`, e.g. "items.0.lyrics must be a string". */
  problems(value: unknown, prefix?: string): string[];
}

function newAjv(draft: Draft): AjvInstance {
  const ajv = draft === '2020-12' ? new Ajv2020(AJV_OPTIONS) : new Ajv(AJV_OPTIONS);
  addFormats(ajv);
  return ajv;
}

const shared: Partial<Record<Draft, AjvInstance>> = {};
const cache = new Map<string, SchemaValidator>();

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Whether a schema uses draft-07 forms that 2020-12 dropped (array `items`, `additionalItems`, `dependencies`). */
function usesDraft07Forms(node: unknown): boolean {
  if (Array.isArray(node)) return node.some(usesDraft07Forms);
  if (!isRecord(node)) return false;
  if (Array.isArray(node['items']) || 'additionalItems' in node || isRecord(node['dependencies'])) return true;
  return Object.values(node).some(usesDraft07Forms);
}

function draftOf(schema: JsonSchema): Draft {
  const declared = typeof schema['$schema'] === 'string' ? schema['$schema'] : '';
  if (/draft-0[4-7]/.test(declared)) return 'draft-07';
  if (declared.includes('2020-12') || declared.includes('2019-09')) return '2020-12';
  return usesDraft07Forms(schema) ? 'draft-07' : '2020-12';
}

const ARTICLE: Record<string, string> = { string: 'a string', integer: 'an integer', number: 'a number', boolean: 'a boolean', array: 'an array', object: 'an object', null: 'null' };

function dotted(prefix: string, instancePath: string, extra?: string): string {
  const parts = [prefix, ...instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~')), extra ?? ''].filter((p) => p !== '');
  return parts.join('.');
}

/** One line per problem in class-validator's style: "lyrics must be a string", "title is required". */
export function formatProblems(errors: readonly ErrorObject[] | null | undefined, prefix = ''): string[] {
  const lines: string[] = [];
  for (const e of errors ?? []) {
    const params = e.params as Record<string, unknown>;
    let line: string;
    switch (e.keyword) {
      case 'required':
        line = `${dotted(prefix, e.instancePath, String(params['missingProperty']))} is required`;
        break;
      case 'additionalProperties':
        line = `${dotted(prefix, e.instancePath, String(params['additionalProperty']))} is not allowed`;
        break;
      case 'type': {
        const types = String(params['type']).split(',');
        line = `${dotted(prefix, e.instancePath) || 'value'} must be ${types.map((t) => ARTICLE[t] ?? t).join(' or ')}`;
        break;
      }
      case 'enum':
        line = `${dotted(prefix, e.instancePath) || 'value'} must be one of ${(params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
        break;
      default:
        line = `${dotted(prefix, e.instancePath) || 'value'} ${e.message ?? `fails ${e.keyword}`}`;
    }
    if (!lines.includes(line)) lines.push(line);
    if (lines.length >= MAX_PROBLEMS) break;
  }
  return lines;
}

/** Compiles (once per distinct schema) a validator; throws SchemaCompileError for a schema Ajv refuses. */
export function compileSchema(schema: JsonSchema): SchemaValidator {
  const key = JSON.stringify(schema);
  const hit = cache.get(key);
  if (hit) return hit;
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
    throw new SchemaCompileError(e instanceof Error ? e.message : String(e));
  }
  const validator: SchemaValidator = {
    problems: (value, prefix = '') => (validate(value) ? [] : formatProblems(validate.errors, prefix)),
  };
  if (cache.size >= MAX_CACHED) {
    const oldest = cache.keys().next();
    if (!oldest.done) cache.delete(oldest.value);
  }
  cache.set(key, validator);
  return validator;
}

/** The problem compiling a schema, or null when it compiles. */
export function schemaCompileProblem(schema: unknown): string | null {
  if (!isRecord(schema)) return 'must be a JSON schema object';
  try {
    compileSchema(schema);
    return null;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}
