import { isIPv4, isIPv6 } from 'node:net';
import { canonicalJson } from './tokens';
import {
  declaredTypes,
  isPlainObject,
  num,
  resolveRef,
  str,
  stringList,
  sub,
  subList,
  subMap,
  type JsonSchema,
  type JsonType,
} from './json-schema';

/**
 * A compact JSON Schema validator (draft-07 / 2019-09 / 2020-12 keywords used in practice).
 * The emulator uses it to double-check what it generates, and to make sure that a
 * "schema-violation" fault really violates the schema.
 */

export interface ValidationError {
  path: string;
  message: string;
}

const FORMAT_CHECKS: Record<string, (s: string) => boolean> = {
  'date-time': (s) =>
    /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt ]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$/.test(s) &&
    !Number.isNaN(Date.parse(s)),
  date: (s) => /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/.test(s) && !Number.isNaN(Date.parse(s)),
  time: (s) => /^([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)?$/.test(s),
  email: (s) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s),
  'idn-email': (s) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s),
  uri: (s) => /^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s]*$/.test(s),
  iri: (s) => /^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s]*$/.test(s),
  url: (s) => /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^\s]+$/.test(s),
  'uri-reference': (s) => !/\s/.test(s),
  'iri-reference': (s) => !/\s/.test(s),
  uuid: (s) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s),
  ipv4: (s) => isIPv4(s),
  ipv6: (s) => isIPv6(s),
  hostname: (s) => s.length <= 253 && /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(s),
  duration: (s) => /^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/.test(s),
  regex: (s) => {
    try {
      new RegExp(s, 'u');
      return true;
    } catch {
      return false;
    }
  },
};

const regexCache = new Map<string, RegExp | null>();
export function compilePattern(pattern: string): RegExp | null {
  if (regexCache.has(pattern)) return regexCache.get(pattern) ?? null;
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
  regexCache.set(pattern, re);
  return re;
}

export function checkFormat(format: string, value: string): boolean {
  const check = FORMAT_CHECKS[format];
  return check ? check(value) : true;
}

function typeMatches(type: JsonType, value: unknown): boolean {
  switch (type) {
    case 'null':
      return value === null;
    case 'boolean':
      return typeof value === 'boolean';
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'array':
      return Array.isArray(value);
    case 'object':
      return isPlainObject(value);
  }
}

export function deepEqual(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

class Validator {
  readonly errors: ValidationError[] = [];
  private depth = 0;
  constructor(private readonly root: JsonSchema) {}

  private fail(path: string, message: string): void {
    this.errors.push({ path: path || '/', message });
  }

  /** true if `value` is valid against `schema` (collects no errors). */
  test(schema: JsonSchema, value: unknown): boolean {
    const child = new Validator(this.root);
    child.depth = this.depth;
    child.validate(schema, value, '');
    return child.errors.length === 0;
  }

  validate(schema: JsonSchema, value: unknown, path: string): void {
    if (schema === true) return;
    if (schema === false) return this.fail(path, 'no value is allowed here (false schema)');
    if (++this.depth > 200) {
      this.depth--;
      return this.fail(path, 'schema nesting too deep');
    }
    try {
      this.validateObject(schema, value, path);
    } finally {
      this.depth--;
    }
  }

  private validateObject(schema: Record<string, unknown>, value: unknown, path: string): void {
    const ref = str(schema, '$ref');
    if (ref !== undefined) {
      const target = resolveRef(this.root, ref);
      if (target === undefined) this.fail(path, `unresolvable $ref ${ref}`);
      else this.validate(target, value, path);
    }

    const types = declaredTypes(schema);
    if (types && !types.some((t) => typeMatches(t, value))) {
      return this.fail(path, `must be ${types.join(' or ')}`);
    }
    if ('const' in schema && !deepEqual(schema['const'], value)) this.fail(path, 'must equal the constant');
    const en = schema['enum'];
    if (Array.isArray(en) && !en.some((e) => deepEqual(e, value))) this.fail(path, 'must be one of the enum values');

    for (const s of subList(schema, 'allOf') ?? []) this.validate(s, value, path);
    const anyOf = subList(schema, 'anyOf');
    if (anyOf && !anyOf.some((s) => this.test(s, value))) this.fail(path, 'must match a schema in anyOf');
    const oneOf = subList(schema, 'oneOf');
    if (oneOf) {
      const n = oneOf.filter((s) => this.test(s, value)).length;
      if (n !== 1) this.fail(path, `must match exactly one schema in oneOf (matched ${n})`);
    }
    const not = sub(schema, 'not');
    if (not !== undefined && this.test(not, value)) this.fail(path, 'must not match the "not" schema');
    const ifS = sub(schema, 'if');
    if (ifS !== undefined) {
      const branch = this.test(ifS, value) ? sub(schema, 'then') : sub(schema, 'else');
      if (branch !== undefined) this.validate(branch, value, path);
    }

    if (typeof value === 'string') this.validateString(schema, value, path);
    else if (typeof value === 'number') this.validateNumber(schema, value, path);
    else if (Array.isArray(value)) this.validateArray(schema, value, path);
    else if (isPlainObject(value)) this.validateObjectValue(schema, value, path);
  }

  private validateString(schema: Record<string, unknown>, value: string, path: string): void {
    const len = codePoints(value);
    const minLength = num(schema, 'minLength');
    const maxLength = num(schema, 'maxLength');
    if (minLength !== undefined && len < minLength) this.fail(path, `must NOT have fewer than ${minLength} characters`);
    if (maxLength !== undefined && len > maxLength) this.fail(path, `must NOT have more than ${maxLength} characters`);
    const pattern = str(schema, 'pattern');
    if (pattern !== undefined) {
      const re = compilePattern(pattern);
      if (re && !re.test(value)) this.fail(path, `must match pattern ${pattern}`);
    }
    const format = str(schema, 'format');
    if (format !== undefined && !checkFormat(format, value)) this.fail(path, `must match format ${format}`);
  }

  private validateNumber(schema: Record<string, unknown>, value: number, path: string): void {
    const minimum = num(schema, 'minimum');
    const maximum = num(schema, 'maximum');
    if (minimum !== undefined) {
      if (schema['exclusiveMinimum'] === true ? value <= minimum : value < minimum) this.fail(path, `must be >= ${minimum}`);
    }
    if (maximum !== undefined) {
      if (schema['exclusiveMaximum'] === true ? value >= maximum : value > maximum) this.fail(path, `must be <= ${maximum}`);
    }
    const exMin = num(schema, 'exclusiveMinimum');
    if (exMin !== undefined && value <= exMin) this.fail(path, `must be > ${exMin}`);
    const exMax = num(schema, 'exclusiveMaximum');
    if (exMax !== undefined && value >= exMax) this.fail(path, `must be < ${exMax}`);
    const multipleOf = num(schema, 'multipleOf');
    if (multipleOf !== undefined && multipleOf > 0 && !Number.isInteger(value / multipleOf)) {
      this.fail(path, `must be a multiple of ${multipleOf}`);
    }
  }

  private validateArray(schema: Record<string, unknown>, value: unknown[], path: string): void {
    const minItems = num(schema, 'minItems');
    const maxItems = num(schema, 'maxItems');
    if (minItems !== undefined && value.length < minItems) this.fail(path, `must NOT have fewer than ${minItems} items`);
    if (maxItems !== undefined && value.length > maxItems) this.fail(path, `must NOT have more than ${maxItems} items`);
    let prefix = subList(schema, 'prefixItems');
    let rest: JsonSchema | undefined;
    const items = schema['items'];
    if (Array.isArray(items)) {
      prefix = subList(schema, 'items');
      rest = sub(schema, 'additionalItems');
    } else {
      rest = sub(schema, 'items');
    }
    value.forEach((item, i) => {
      const s = prefix && i < prefix.length ? prefix[i] : rest;
      if (s !== undefined) this.validate(s, item, `${path}/${i}`);
    });
    if (schema['uniqueItems'] === true) {
      const seen = new Set<string>();
      for (const item of value) {
        const key = canonicalJson(item);
        if (seen.has(key)) {
          this.fail(path, 'must NOT have duplicate items');
          break;
        }
        seen.add(key);
      }
    }
    const contains = sub(schema, 'contains');
    if (contains !== undefined) {
      const n = value.filter((item) => this.test(contains, item)).length;
      const minContains = num(schema, 'minContains') ?? 1;
      const maxContains = num(schema, 'maxContains');
      if (n < minContains) this.fail(path, `must contain at least ${minContains} matching item(s)`);
      if (maxContains !== undefined && n > maxContains) this.fail(path, `must contain at most ${maxContains} matching item(s)`);
    }
  }

  private validateObjectValue(schema: Record<string, unknown>, value: Record<string, unknown>, path: string): void {
    const keys = Object.keys(value);
    for (const r of stringList(schema, 'required')) {
      if (!(r in value)) this.fail(path, `must have required property '${r}'`);
    }
    const minProperties = num(schema, 'minProperties');
    const maxProperties = num(schema, 'maxProperties');
    if (minProperties !== undefined && keys.length < minProperties) this.fail(path, `must NOT have fewer than ${minProperties} properties`);
    if (maxProperties !== undefined && keys.length > maxProperties) this.fail(path, `must NOT have more than ${maxProperties} properties`);
    const properties = subMap(schema, 'properties') ?? {};
    const patternProperties = subMap(schema, 'patternProperties') ?? {};
    const additional = sub(schema, 'additionalProperties');
    const propertyNames = sub(schema, 'propertyNames');
    const dependentRequired = schema['dependentRequired'] ?? schema['dependencies'];
    for (const key of keys) {
      const child = `${path}/${key}`;
      if (propertyNames !== undefined && !this.test(propertyNames, key)) this.fail(child, 'property name is not allowed');
      let matched = false;
      const declared = Object.hasOwn(properties, key) ? properties[key] : undefined;
      if (declared !== undefined) {
        matched = true;
        this.validate(declared, value[key], child);
      }
      for (const [p, s] of Object.entries(patternProperties)) {
        const re = compilePattern(p);
        if (re && re.test(key)) {
          matched = true;
          this.validate(s, value[key], child);
        }
      }
      if (!matched && additional !== undefined) {
        if (additional === false) this.fail(child, 'must NOT have additional properties');
        else this.validate(additional, value[key], child);
      }
      if (isPlainObject(dependentRequired)) {
        const deps = dependentRequired[key];
        if (Array.isArray(deps)) {
          for (const d of deps) if (typeof d === 'string' && !(d in value)) this.fail(path, `property '${key}' requires '${d}'`);
        }
      }
    }
  }
}

/**
 * Validates `value` against `schema`; returns the list of errors (empty when valid).
 * `root` is the document that local `$ref`s resolve against (defaults to `schema`).
 */
export function validateJsonSchema(schema: unknown, value: unknown, root?: unknown): ValidationError[] {
  const s: JsonSchema = typeof schema === 'boolean' || isPlainObject(schema) ? schema : true;
  const r: JsonSchema = root !== undefined && (typeof root === 'boolean' || isPlainObject(root)) ? root : s;
  const v = new Validator(r);
  v.validate(s, value, '');
  return v.errors;
}

export function isValidJsonSchema(schema: unknown, value: unknown): boolean {
  return validateJsonSchema(schema, value).length === 0;
}
