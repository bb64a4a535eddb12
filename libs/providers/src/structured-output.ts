// Structured output: the model's text must be JSON valid against the request's schema. Every adapter
// compiles the schema before calling (a broken schema is the caller's bad request, found before any
// token is spent), then parses and validates the answer here.
import type { JsonSchema } from '@margin/contracts';
import { compileJsonSchema, isJsonObject } from '@margin/core';
import type { ErrorObject } from 'ajv';
import { InvalidOutputError, ProviderBadRequestError } from './provider-errors';

const MAX_PROBLEMS = 20;

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

/** Thrown by `compileOutputSchema` for a schema Ajv cannot compile. */
export class InvalidSchemaError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InvalidSchemaError';
  }
}

/** Compiles (once per distinct schema) a validator; throws InvalidSchemaError for a broken schema. */
export function compileOutputSchema(schema: JsonSchema): OutputValidator {
  let validate: ReturnType<typeof compileJsonSchema>;
  try {
    validate = compileJsonSchema(schema);
  } catch (e) {
    throw new InvalidSchemaError(`invalid output schema: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  return { problems: (value) => (validate(value) ? [] : formatSchemaErrors(validate.errors)) };
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
  return { schema: wrapped, unwrap: (v) => (isJsonObject(v) ? v['value'] : v) };
}
