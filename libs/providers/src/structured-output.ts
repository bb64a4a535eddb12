// Structured output: the model's text must be JSON valid against the request's schema. Every adapter
// compiles the schema before calling (a broken schema is the caller's bad request, found before any
// token is spent), then parses and validates the answer here.
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { JsonSchema } from './llm-provider';
import { InvalidOutputError, ProviderBadRequestError } from './provider-errors';

type AjvInstance = Ajv | Ajv2020;
type Draft = 'draft-07' | '2020-12';

const AJV_OPTIONS = { strict: false, allErrors: true, allowUnionTypes: true, validateFormats: true } as const;
const MAX_CACHED = 500;
const MAX_PROBLEMS = 20;

function newAjv(draft: Draft): AjvInstance {
  const ajv = draft === '2020-12' ? new Ajv2020(AJV_OPTIONS) : new Ajv(AJV_OPTIONS);
  addFormats(ajv);
  return ajv;
}

const shared: Partial<Record<Draft, AjvInstance>> = {};
function sharedAjv(draft: Draft): AjvInstance {
  return (shared[draft] ??= newAjv(draft));
}

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

/** Draft 2020-12 unless the schema says (or shows) it is an older draft. */
function draftOf(schema: JsonSchema): Draft {
  const declared = typeof schema['$schema'] === 'string' ? schema['$schema'] : '';
  if (/draft-0[4-7]/.test(declared)) return 'draft-07';
  if (declared.includes('2020-12') || declared.includes('2019-09')) return '2020-12';
  return usesDraft07Forms(schema) ? 'draft-07' : '2020-12';
}

/** One readable line per problem, e.g. "/themes/0 must be string". */
export function formatSchemaErrors(errors: readonly ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).slice(0, MAX_PROBLEMS).map((e) => {
    const where = e.instancePath === '' ? '/' : e.instancePath;
    const params = e.params as Record<string, unknown>;
    const detail =
      e.keyword === 'additionalProperties' && typeof params['additionalProperty'] === 'string'
        ? ` (${params['additionalProperty']})`
        : e.keyword === 'enum' && Array.isArray(params['allowedValues'])
          ? ` (${params['allowedValues'].map((v) => JSON.stringify(v)).join(', ')})`
          : '';
    return `${where} ${e.message ?? `fails ${e.keyword}`}${detail}`;
  });
}

export interface OutputValidator {
  /** Problems of `value` against the schema; empty when valid. */
  problems(value: unknown): string[];
}

const cache = new Map<string, OutputValidator>();

/** Thrown by `compileOutputSchema` for a schema Ajv cannot compile. */
export class InvalidSchemaError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InvalidSchemaError';
  }
}

/** Compiles (once per distinct schema) a validator; throws InvalidSchemaError for a broken schema. */
export function compileOutputSchema(schema: JsonSchema): OutputValidator {
  const key = JSON.stringify(schema);
  const hit = cache.get(key);
  if (hit) return hit;
  const draft = draftOf(schema);
  // `$schema` chooses the Ajv class above; leaving it in would make Ajv look for a meta-schema it lacks
  const { $schema: _ignored, ...body } = schema;
  let validate: ValidateFunction;
  try {
    try {
      validate = sharedAjv(draft).compile(body);
    } catch (e) {
      // two different schemas with the same `$id` cannot share one Ajv instance
      if (!(e instanceof Error) || !/already exists/.test(e.message)) throw e;
      validate = newAjv(draft).compile(body);
    }
  } catch (e) {
    throw new InvalidSchemaError(`invalid output schema: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  const validator: OutputValidator = {
    problems: (value) => (validate(value) ? [] : formatSchemaErrors(validate.errors)),
  };
  if (cache.size >= MAX_CACHED) {
    const oldest = cache.keys().next();
    if (!oldest.done) cache.delete(oldest.value);
  }
  cache.set(key, validator);
  return validator;
}

/** Removes a Markdown code fence around the whole answer ("```json … ```"), which some models add. */
export function stripCodeFence(text: string): string {
  const m = /^\s*```[a-zA-Z0-9_-]*\s*\n([\s\S]*?)\n?\s*```\s*$/.exec(text);
  return m?.[1] ?? text.trim();
}

export type StructuredOutputCheck = (text: string, value?: { parsed: unknown }) => unknown;

/**
 * Prepares the check for one call: compiles the schema now (ProviderBadRequestError when it is broken) and
 * returns a function that parses + validates the answer, returning the JSON value or throwing
 * InvalidOutputError (with the raw text and the problems). Pass `value` when the host already parsed the
 * JSON (Anthropic's tool input).
 */
export function prepareStructuredOutput(providerId: string, schema: JsonSchema): StructuredOutputCheck {
  let validator: OutputValidator;
  try {
    validator = compileOutputSchema(schema);
  } catch (e) {
    throw new ProviderBadRequestError(providerId, e instanceof Error ? e.message : String(e), undefined, { cause: e });
  }
  return (text, value) => {
    let parsed: unknown;
    if (value) parsed = value.parsed;
    else {
      try {
        parsed = JSON.parse(stripCodeFence(text)) as unknown;
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        throw new InvalidOutputError(providerId, `the answer is not JSON: ${why}`, text, [`not JSON: ${why}`], { cause: e });
      }
    }
    const problems = validator.problems(parsed);
    if (problems.length > 0) {
      throw new InvalidOutputError(providerId, `the answer does not match the output schema: ${problems.join('; ')}`, text, problems);
    }
    return parsed;
  };
}

/** Parses and validates one answer (see prepareStructuredOutput). */
export function parseStructuredOutput(providerId: string, text: string, schema: JsonSchema): unknown {
  return prepareStructuredOutput(providerId, schema)(text);
}

/**
 * Hosts that only accept an object at the root of a structured-output schema (OpenAI strict mode,
 * Anthropic tool input) get `{ value: <schema> }` instead; `unwrap` takes the answer back out.
 * `$defs` / `definitions` move to the new root so that `#/$defs/...` references still resolve.
 */
export function objectRootSchema(schema: JsonSchema): { schema: JsonSchema; unwrap: (value: unknown) => unknown } {
  if (schema['type'] === 'object') return { schema, unwrap: (v) => v };
  const { $defs, definitions, $schema: _ignored, ...inner } = schema;
  const wrapped: JsonSchema = {
    type: 'object',
    properties: { value: inner },
    required: ['value'],
    additionalProperties: false,
    ...($defs !== undefined ? { $defs } : {}),
    ...(definitions !== undefined ? { definitions } : {}),
  };
  return { schema: wrapped, unwrap: (v) => (isRecord(v) ? v['value'] : v) };
}
