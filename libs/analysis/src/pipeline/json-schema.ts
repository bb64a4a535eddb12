// JSON Schema checks for profiles: inputs, step outputs and final outputs. Same Ajv settings as the
// providers' structured-output check, so a schema that compiles here compiles there.
import { compileJsonSchema, isJsonObject } from '@margin/core';
import type { ErrorObject } from 'ajv';
import type { JsonSchema } from '@margin/contracts';

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

const ARTICLE: Record<string, string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'a boolean',
  array: 'an array',
  object: 'an object',
  null: 'null',
};

function dotted(prefix: string, instancePath: string, extra?: string): string {
  const parts = [
    prefix,
    ...instancePath
      .split('/')
      .slice(1)
      .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~')),
    extra ?? '',
  ].filter((p) => p !== '');
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

/** Per schema object: profiles keep theirs, and every item validates against them (no JSON.stringify per lookup). */
const bySchema = new WeakMap<object, SchemaValidator>();

/** Compiles (once per distinct schema) a validator; throws SchemaCompileError for a schema Ajv refuses. */
export function compileSchema(schema: JsonSchema): SchemaValidator {
  const known = bySchema.get(schema);
  if (known) return known;
  const validator = compileFresh(schema);
  bySchema.set(schema, validator);
  return validator;
}

function compileFresh(schema: JsonSchema): SchemaValidator {
  let validate: ReturnType<typeof compileJsonSchema>;
  try {
    validate = compileJsonSchema(schema);
  } catch (e) {
    throw new SchemaCompileError(e instanceof Error ? e.message : String(e));
  }
  return { problems: (value, prefix = '') => (validate(value) ? [] : formatProblems(validate.errors, prefix)) };
}

/** The problem compiling a schema, or null when it compiles. */
export function schemaCompileProblem(schema: unknown): string | null {
  if (!isJsonObject(schema)) return 'must be a JSON schema object';
  try {
    compileSchema(schema);
    return null;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}
