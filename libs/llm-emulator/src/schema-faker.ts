import {
  declaredTypes,
  isPlainObject,
  isSchema,
  num,
  resolveRef,
  str,
  stringList,
  sub,
  subList,
  subMap,
  type JsonSchema,
  type JsonSchemaObject,
  type JsonType,
} from './json-schema';
import { generatePattern, UnsupportedPatternError } from './pattern';
import { capitalize, phrase, sentence, titleCase } from './prose';
import { createRng, type Rng } from './rng';
import { checkFormat, compilePattern, validateJsonSchema } from './schema-validator';
import { canonicalJson } from './tokens';

/**
 * Deterministic fake data that is valid against a JSON Schema.
 *
 * Supports: type (incl. arrays of types / nullable), const, enum, properties, required,
 * additionalProperties, patternProperties, min/maxProperties, dependentRequired, items,
 * prefixItems (and draft-07 tuple items/additionalItems), min/maxItems, uniqueItems, contains,
 * string min/maxLength, format (date-time, date, time, email, uri, url, uuid, hostname, ipv4, ipv6,
 * duration, …), pattern (simple regular expressions), number/integer minimum/maximum/exclusive*,
 * multipleOf, anyOf/oneOf (first branch that validates), allOf (merged), if/then, $ref to
 * $defs/definitions/any local pointer (recursion bounded), boolean schemas.
 */

export interface FakeOptions {
  /** Seed for the deterministic generator (ignored when `rng` is given). */
  seed?: string;
  rng?: Rng;
  /** Words from the prompt, woven into generated strings. */
  keywords?: readonly string[];
  /** Nesting depth after which only required properties / minItems are generated. Default 6. */
  maxDepth?: number;
}

interface Ctx {
  depth: number;
  key?: string;
  refs: readonly string[];
  minimal: boolean;
}

const FIRST_NAMES = ['Alex', 'Maya', 'Jonas', 'Priya', 'Lucas', 'Amara', 'Noah', 'Elena', 'Kenji', 'Sofia'];
const LAST_NAMES = ['Morgan', 'Silva', 'Becker', 'Okafor', 'Laurent', 'Nakamura', 'Rossi', 'Haddad', 'Novak', 'Reyes'];
const SENTIMENTS = ['positive', 'neutral', 'negative', 'mixed'];
const MOODS = ['hopeful', 'melancholic', 'reflective', 'joyful', 'tense', 'calm', 'nostalgic'];
const COLORS = ['teal', 'amber', 'crimson', 'indigo', 'olive', 'slate'];
const CITIES = ['Lisbon', 'Toronto', 'Nairobi', 'Osaka', 'Berlin', 'Melbourne'];
const FILLER = ['and', 'more', 'detail', 'context', 'notes', 'overall'];

function clone<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

function lengthOf(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function cut(s: string, max: number): string {
  return [...s].slice(0, max).join('');
}

/** Adjusts a string to minLength ≤ length ≤ maxLength, keeping it readable when possible. */
export function fitLength(input: string, min: number, max: number, rng: Rng): string {
  let s = input;
  if (lengthOf(s) > max) {
    s = cut(s, max);
    const trimmed = s.replace(/[\s,;:-]+$/, '');
    if (lengthOf(trimmed) >= min) s = trimmed;
  }
  while (lengthOf(s) < min) {
    const word = rng.pick(FILLER);
    s = s.length === 0 ? word : `${s} ${word}`;
  }
  if (lengthOf(s) > max) s = cut(s, max);
  return s;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

export function fakeFormat(format: string, rng: Rng, keywords: readonly string[]): string | undefined {
  const date = (): string => `${rng.int(2023, 2025)}-${pad2(rng.int(1, 12))}-${pad2(rng.int(1, 28))}`;
  const time = (): string => `${pad2(rng.int(0, 23))}:${pad2(rng.int(0, 59))}:${pad2(rng.int(0, 59))}`;
  const slug = (): string => (keywords.length > 0 ? rng.pick(keywords) : rng.pick(['guide', 'notes', 'report', 'item'])).replace(/[^a-z0-9-]/gi, '');
  switch (format) {
    case 'date-time':
      return `${date()}T${time()}Z`;
    case 'date':
      return date();
    case 'time':
      return `${time()}Z`;
    case 'email':
    case 'idn-email':
      return `${rng.pick(FIRST_NAMES)}.${rng.pick(LAST_NAMES)}@example.com`.toLowerCase();
    case 'uri':
    case 'url':
    case 'iri':
      return `https://example.com/${slug()}/${rng.int(1, 999)}`;
    case 'uri-reference':
    case 'iri-reference':
      return `/${slug()}/${rng.int(1, 999)}`;
    case 'uri-template':
      return 'https://example.com/items/{id}';
    case 'uuid': {
      const h = rng.hex(32);
      const variant = '89ab'[rng.int(0, 3)];
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
    }
    case 'hostname':
    case 'idn-hostname':
      return `${slug().toLowerCase() || 'api'}.example.com`;
    case 'ipv4':
      return `192.0.2.${rng.int(1, 254)}`;
    case 'ipv6':
      return `2001:db8::${rng.int(1, 65535).toString(16)}`;
    case 'duration':
      return `PT${rng.int(1, 59)}M`;
    case 'regex':
      return '^[a-z]+$';
    case 'json-pointer':
      return `/items/${rng.int(0, 9)}`;
    case 'relative-json-pointer':
      return '0/items';
    default:
      return undefined;
  }
}

/** A plausible string for a property, judged by its name. */
export function textForKey(key: string | undefined, rng: Rng, keywords: readonly string[]): string {
  const k = (key ?? '').toLowerCase();
  const fmt = (format: string): string => fakeFormat(format, rng, keywords) ?? '';
  const kw = (): string => (keywords.length > 0 ? rng.pick(keywords) : rng.pick(['general', 'insight', 'pattern']));
  if (/e-?mail/.test(k)) return fmt('email');
  if (/(url|uri|link|href|website|homepage)s?$/.test(k)) return fmt('uri');
  if (/uuid|guid/.test(k)) return fmt('uuid');
  if (/^id$|_id$/.test(k) || /[a-z]Id$/.test(key ?? '')) return `${k.replace(/_?id$/, '') || 'id'}_${rng.hex(10)}`;
  if (/(date|_at|timestamp|datetime)$/.test(k)) return fmt('date-time');
  if (/(lang|language|locale)s?$/.test(k)) return 'en';
  if (/country/.test(k)) return 'US';
  if (/currency/.test(k)) return 'USD';
  if (/phone/.test(k)) return `+1-555-01${pad2(rng.int(0, 99))}`;
  if (/first_?name|given/.test(k)) return rng.pick(FIRST_NAMES);
  if (/last_?name|surname|family_?name/.test(k)) return rng.pick(LAST_NAMES);
  if (/author|artist|person|owner|contact|user_?name|username|speaker/.test(k)) return `${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)}`;
  if (/city/.test(k)) return rng.pick(CITIES);
  if (/colou?r/.test(k)) return rng.pick(COLORS);
  if (/sentiment|polarity/.test(k)) return rng.pick(SENTIMENTS);
  if (/mood|tone|emotion|feeling/.test(k)) return rng.pick(MOODS);
  if (/title|headline|subject|heading|name/.test(k)) return titleCase(phrase(rng, keywords, rng.int(2, 5)));
  if (
    /summary|description|explanation|reason|rationale|text|content|body|analysis|comment|feedback|note|message|answer|justification|detail|overview|interpretation|meaning|critique|response|excerpt|quote/.test(
      k,
    )
  ) {
    const n = rng.int(1, 2);
    const parts: string[] = [];
    for (let i = 0; i < n; i++) parts.push(sentence(rng, keywords));
    return parts.join(' ');
  }
  if (/tag|keyword|topic|theme|label|genre|category|motif|word/.test(k)) return kw();
  if (/status|state/.test(k)) return rng.pick(['active', 'pending', 'complete']);
  return capitalize(phrase(rng, keywords, rng.int(2, 4)));
}

/** Merges two schemas as if both applied (best effort: enough for generation). */
export function mergeSchemas(a: JsonSchemaObject, b: JsonSchemaObject): JsonSchemaObject {
  const out: JsonSchemaObject = { ...a };
  for (const [key, bv] of Object.entries(b)) {
    const av = out[key];
    if (av === undefined) {
      out[key] = bv;
      continue;
    }
    switch (key) {
      case 'properties': {
        const merged: Record<string, unknown> = isPlainObject(av) ? { ...av } : {};
        if (isPlainObject(bv)) {
          for (const [p, s] of Object.entries(bv)) {
            const existing = merged[p];
            merged[p] = existing === undefined ? s : isPlainObject(existing) && isPlainObject(s) ? mergeSchemas(existing, s) : s;
          }
        }
        out[key] = merged;
        break;
      }
      case 'required':
        out[key] = [...new Set([...(Array.isArray(av) ? av : []), ...(Array.isArray(bv) ? bv : [])])];
        break;
      case 'type': {
        const at = declaredTypes({ type: av }) ?? [];
        const bt = declaredTypes({ type: bv }) ?? [];
        let both = at.filter((t) => bt.includes(t) || (t === 'integer' && bt.includes('number')));
        for (const t of bt) if (t === 'integer' && at.includes('number') && !both.includes('integer')) both.push('integer');
        if (both.length === 0) both = bt;
        out[key] = both.length === 1 ? both[0] : both;
        break;
      }
      case 'minimum':
      case 'minLength':
      case 'minItems':
      case 'minProperties':
      case 'minContains':
        out[key] = typeof av === 'number' && typeof bv === 'number' ? Math.max(av, bv) : bv;
        break;
      case 'maximum':
      case 'maxLength':
      case 'maxItems':
      case 'maxProperties':
      case 'maxContains':
        out[key] = typeof av === 'number' && typeof bv === 'number' ? Math.min(av, bv) : bv;
        break;
      case 'enum': {
        if (Array.isArray(av) && Array.isArray(bv)) {
          const inter = av.filter((x) => bv.some((y) => canonicalJson(x) === canonicalJson(y)));
          out[key] = inter.length > 0 ? inter : bv;
        } else out[key] = bv;
        break;
      }
      case 'additionalProperties':
        out[key] = av === false || bv === false ? false : isPlainObject(av) && isPlainObject(bv) ? mergeSchemas(av, bv) : bv;
        break;
      case 'items':
      case 'contains':
      case 'propertyNames':
        out[key] = isPlainObject(av) && isPlainObject(bv) ? mergeSchemas(av, bv) : bv;
        break;
      case 'allOf':
        out[key] = [...(Array.isArray(av) ? av : []), ...(Array.isArray(bv) ? bv : [])];
        break;
      case 'anyOf':
      case 'oneOf':
        out['allOf'] = [...(Array.isArray(out['allOf']) ? out['allOf'] : []), { [key]: bv }];
        break;
      default:
        out[key] = bv;
    }
  }
  return out;
}

function without(schema: JsonSchemaObject, ...keys: string[]): JsonSchemaObject {
  const out: JsonSchemaObject = { ...schema };
  for (const k of keys) delete out[k];
  return out;
}

class Faker {
  private readonly maxDepth: number;
  constructor(
    private readonly root: JsonSchema,
    private readonly rng: Rng,
    private readonly keywords: readonly string[],
    maxDepth: number,
  ) {
    this.maxDepth = maxDepth;
  }

  private valid(schema: JsonSchema, value: unknown): boolean {
    // validate a sub-schema with the real root available for $ref resolution
    return validateWithRoot(this.root, schema, value);
  }

  /** Resolves $ref and merges allOf, so the result has neither at its top. */
  flatten(schema: JsonSchemaObject, ctx: Ctx): { schema: JsonSchemaObject; ctx: Ctx } {
    let s = schema;
    let c = ctx;
    for (let guard = 0; guard < 32; guard++) {
      const ref = str(s, '$ref');
      if (ref !== undefined) {
        const seen = c.refs.filter((r) => r === ref).length;
        c = { ...c, refs: [...c.refs, ref], minimal: c.minimal || seen >= 1 };
        const target = resolveRef(this.root, ref);
        const rest = without(s, '$ref');
        if (target === undefined || target === true) s = rest;
        else if (target === false) return { schema: { not: {} }, ctx: c };
        else s = mergeSchemas(target, rest);
        continue;
      }
      const allOf = subList(s, 'allOf');
      if (allOf) {
        let merged = without(s, 'allOf');
        for (const part of allOf) {
          if (part === true) continue;
          if (part === false) return { schema: { not: {} }, ctx: c };
          const flat = this.flatten(part, c);
          c = { ...c, minimal: c.minimal || flat.ctx.minimal, refs: flat.ctx.refs };
          merged = mergeSchemas(merged, flat.schema);
        }
        s = merged;
        continue;
      }
      break;
    }
    return { schema: s, ctx: c };
  }

  gen(input: JsonSchema, ctxIn: Ctx): unknown {
    if (ctxIn.depth > 40) return null;
    if (input === false) return null;
    if (input === true) return textForKey(ctxIn.key, this.rng, this.keywords);
    const ctx0: Ctx = ctxIn.depth >= this.maxDepth && !ctxIn.minimal ? { ...ctxIn, minimal: true } : ctxIn;
    const { schema, ctx } = this.flatten(input, ctx0);

    if ('const' in schema) return clone(schema['const']);
    const en = schema['enum'];
    if (Array.isArray(en) && en.length > 0) {
      const rest = without(schema, 'enum');
      const ok = en.filter((v) => this.valid(rest, v));
      return clone(this.rng.pick(ok.length > 0 ? ok : en));
    }

    const ifS = sub(schema, 'if');
    if (ifS !== undefined && isPlainObject(ifS)) {
      const thenS = sub(schema, 'then');
      let merged = mergeSchemas(without(schema, 'if', 'then', 'else'), ifS);
      if (thenS !== undefined && isPlainObject(thenS)) merged = mergeSchemas(merged, thenS);
      const value = this.gen(merged, ctx);
      if (this.valid(input, value)) return value;
      const elseS = sub(schema, 'else');
      const alt =
        elseS !== undefined && isPlainObject(elseS) ? mergeSchemas(without(schema, 'if', 'then', 'else'), elseS) : without(schema, 'if', 'then', 'else');
      return this.gen(alt, ctx);
    }

    for (const combinator of ['anyOf', 'oneOf'] as const) {
      const branches = subList(schema, combinator);
      if (!branches || branches.length === 0) continue;
      const base = without(schema, combinator);
      const order = ctx.minimal ? [...branches].sort((x, y) => terminalRank(x) - terminalRank(y)) : branches;
      let first: unknown;
      let firstSet = false;
      for (const branch of order) {
        if (branch === false) continue;
        const merged = branch === true ? base : mergeSchemas(base, branch);
        const value = this.gen(merged, ctx);
        if (!firstSet) {
          first = value;
          firstSet = true;
        }
        if (this.valid({ ...schema }, value)) return value;
      }
      return first;
    }

    const type = this.chooseType(schema, ctx);
    switch (type) {
      case 'null':
        return null;
      case 'boolean':
        return this.rng.bool();
      case 'integer':
        return this.genNumber(schema, true, ctx);
      case 'number':
        return this.genNumber(schema, false, ctx);
      case 'string':
        return this.genString(schema, ctx);
      case 'array':
        return this.genArray(schema, ctx);
      case 'object':
        return this.genObject(schema, ctx);
    }
  }

  private chooseType(schema: JsonSchemaObject, ctx: Ctx): JsonType {
    const declared = declaredTypes(schema);
    if (declared && declared.length > 0) {
      if (ctx.minimal && declared.includes('null')) return 'null';
      const nonNull = declared.filter((t) => t !== 'null');
      return nonNull[0] ?? 'null';
    }
    if (declared && declared.length === 0) return 'string';
    const has = (...keys: string[]): boolean => keys.some((k) => k in schema);
    if (has('properties', 'required', 'additionalProperties', 'patternProperties', 'minProperties', 'maxProperties', 'propertyNames', 'dependentRequired'))
      return 'object';
    if (has('items', 'prefixItems', 'minItems', 'maxItems', 'contains', 'uniqueItems', 'additionalItems')) return 'array';
    if (has('minLength', 'maxLength', 'pattern', 'format')) return 'string';
    if (has('minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf')) return 'number';
    return 'string';
  }

  private genString(schema: JsonSchemaObject, ctx: Ctx): string {
    const min = num(schema, 'minLength') ?? 0;
    const max = num(schema, 'maxLength') ?? Infinity;
    const pattern = str(schema, 'pattern');
    const format = str(schema, 'format');
    const fits = (s: string): boolean => {
      const n = lengthOf(s);
      if (n < min || n > max) return false;
      if (pattern !== undefined) {
        const re = compilePattern(pattern);
        if (re && !re.test(s)) return false;
      }
      return format === undefined || checkFormat(format, s);
    };
    if (format !== undefined) {
      for (let attempt = 0; attempt < 4; attempt++) {
        const s = fakeFormat(format, this.rng, this.keywords);
        if (s === undefined) break;
        if (fits(s)) return s;
      }
    }
    const base = textForKey(ctx.key, this.rng, this.keywords);
    if (fits(base)) return base;
    if (pattern !== undefined) {
      try {
        const s = generatePattern(pattern, this.rng, min, max);
        if (s !== undefined && fits(s)) return s;
      } catch (e) {
        if (!(e instanceof UnsupportedPatternError)) throw e;
      }
    }
    return fitLength(base, min, max, this.rng);
  }

  private genNumber(schema: JsonSchemaObject, integer: boolean, ctx: Ctx): number {
    const key = (ctx.key ?? '').toLowerCase();
    let lo = num(schema, 'minimum');
    let hi = num(schema, 'maximum');
    let loEx = schema['exclusiveMinimum'] === true;
    let hiEx = schema['exclusiveMaximum'] === true;
    const exMin = num(schema, 'exclusiveMinimum');
    const exMax = num(schema, 'exclusiveMaximum');
    if (exMin !== undefined && (lo === undefined || exMin >= lo)) {
      lo = exMin;
      loEx = true;
    }
    if (exMax !== undefined && (hi === undefined || exMax <= hi)) {
      hi = exMax;
      hiEx = true;
    }
    let dLo = 0;
    let dHi = 100;
    if (/percent|pct/.test(key)) [dLo, dHi] = [0, 100];
    else if (/score|confidence|probability|ratio|rate|weight|similarity|likelihood|certainty/.test(key) && !integer) [dLo, dHi] = [0, 1];
    else if (/rating|stars/.test(key)) [dLo, dHi] = [1, 5];
    else if (/year/.test(key)) [dLo, dHi] = [1990, 2025];
    else if (/age/.test(key)) [dLo, dHi] = [18, 80];
    else if (/count|total|quantity|number|num_|amount/.test(key)) [dLo, dHi] = [1, 50];
    const defaultSpan = Math.max(1, dHi - dLo);
    const L = lo ?? (hi !== undefined ? hi - defaultSpan : dLo);
    const H = hi ?? (lo !== undefined ? lo + defaultSpan : dHi);
    const inRange = (v: number): boolean => Number.isFinite(v) && (loEx ? v > L : v >= L) && (hiEx ? v < H : v <= H) && (!integer || Number.isInteger(v));
    const m = num(schema, 'multipleOf');
    if (m !== undefined && m > 0) {
      const kLo = Math.ceil(L / m);
      const kHi = Math.floor(H / m);
      const decimals = (String(m).split('.')[1] ?? '').length;
      const candidates: number[] = [];
      if (kLo <= kHi) {
        candidates.push(this.rng.int(kLo, kHi));
        for (let k = kLo; k <= kHi && candidates.length < 60; k++) candidates.push(k);
      }
      for (const k of candidates) {
        const v = Number((k * m).toFixed(Math.min(decimals, 20)));
        if (inRange(v) && Number.isInteger(v / m)) return v;
      }
      return Number((kLo * m).toFixed(Math.min(decimals, 20)));
    }
    if (integer) {
      const iLo = loEx ? Math.floor(L) + 1 : Math.ceil(L);
      const iHi = hiEx ? Math.ceil(H) - 1 : Math.floor(H);
      return iLo <= iHi ? this.rng.int(iLo, iHi) : iLo;
    }
    const span = H - L;
    const v = Math.round((L + this.rng.next() * span) * 100) / 100;
    if (inRange(v)) return v;
    const mid = (L + H) / 2;
    if (inRange(mid)) return mid;
    return L;
  }

  private genArray(schema: JsonSchemaObject, ctx: Ctx): unknown[] {
    const itemsRaw = schema['items'];
    const prefix = Array.isArray(itemsRaw) ? (subList(schema, 'items') ?? []) : (subList(schema, 'prefixItems') ?? []);
    const rest: JsonSchema | undefined = Array.isArray(itemsRaw) ? sub(schema, 'additionalItems') : sub(schema, 'items');
    const minItems = num(schema, 'minItems') ?? 0;
    let maxItems = num(schema, 'maxItems') ?? Infinity;
    if (rest === false) maxItems = Math.min(maxItems, prefix.length);
    let count: number;
    if (ctx.minimal) count = minItems;
    else {
      const natural = prefix.length > 0 ? prefix.length : 1;
      const lo = Math.max(minItems, Math.min(natural, maxItems));
      const hi = Math.min(maxItems, lo + 2);
      count = this.rng.int(lo, Math.max(lo, hi));
    }
    const contains = sub(schema, 'contains');
    const minContains = contains !== undefined ? (num(schema, 'minContains') ?? 1) : 0;
    count = Math.max(count, Math.min(minContains, maxItems));
    const unique = schema['uniqueItems'] === true;
    const out: unknown[] = [];
    const seen = new Set<string>();
    const itemKey = ctx.key;
    for (let i = 0; i < count; i++) {
      const positional = prefix[i];
      let s: JsonSchema = positional !== undefined ? positional : (rest ?? true);
      if (contains !== undefined && i < minContains) {
        s = s === true ? contains : s === false || contains === false ? false : contains === true ? s : mergeSchemas(s, contains);
      }
      const child: Ctx = { ...ctx, depth: ctx.depth + 1, key: itemKey };
      let value = this.gen(s, child);
      if (unique) {
        let tries = 0;
        while (seen.has(canonicalJson(value)) && tries < 12) {
          value = this.gen(s, child);
          tries++;
        }
        if (seen.has(canonicalJson(value))) {
          if (out.length >= minItems) break;
        }
        seen.add(canonicalJson(value));
      }
      out.push(value);
    }
    return out;
  }

  private genObject(schema: JsonSchemaObject, ctx: Ctx): Record<string, unknown> {
    const properties = subMap(schema, 'properties') ?? {};
    const required = stringList(schema, 'required');
    const patternProperties = subMap(schema, 'patternProperties') ?? {};
    const additional = sub(schema, 'additionalProperties');
    const propertyNames = sub(schema, 'propertyNames');
    const maxProps = num(schema, 'maxProperties') ?? Infinity;
    const minProps = num(schema, 'minProperties') ?? 0;
    const dependent = isPlainObject(schema['dependentRequired'])
      ? schema['dependentRequired']
      : isPlainObject(schema['dependencies'])
        ? schema['dependencies']
        : {};

    const schemaFor = (key: string): JsonSchema => {
      const declared = Object.hasOwn(properties, key) ? properties[key] : undefined;
      if (declared !== undefined) return declared;
      for (const [p, s] of Object.entries(patternProperties)) {
        const re = compilePattern(p);
        if (re && re.test(key)) return s;
      }
      return additional !== undefined && additional !== false ? additional : true;
    };

    const chosen = new Set<string>(required);
    let budget = maxProps - chosen.size;
    const optional = Object.keys(properties).filter((k) => !chosen.has(k) && properties[k] !== false);
    const addDeps = (): void => {
      for (let changed = true; changed;) {
        changed = false;
        for (const k of [...chosen]) {
          const deps = dependent[k];
          if (Array.isArray(deps)) {
            for (const d of deps) {
              if (typeof d === 'string' && !chosen.has(d)) {
                chosen.add(d);
                budget--;
                changed = true;
              }
            }
          }
        }
      }
    };
    addDeps();
    const wantOptional = ctx.minimal ? Math.max(0, minProps - chosen.size) : Infinity;
    let added = 0;
    for (const k of optional) {
      if (budget <= 0 || added >= wantOptional) break;
      const deps = dependent[k];
      const extra = Array.isArray(deps) ? deps.filter((d) => typeof d === 'string' && !chosen.has(d)).length : 0;
      if (extra + 1 > budget) continue;
      chosen.add(k);
      budget--;
      added++;
      addDeps();
    }

    // emit in `properties` order, then other required keys
    const order = [...Object.keys(properties).filter((k) => chosen.has(k)), ...[...chosen].filter((k) => !(k in properties))];
    const out: Record<string, unknown> = {};
    for (const key of order) out[key] = this.gen(schemaFor(key), { ...ctx, depth: ctx.depth + 1, key });

    // minProperties beyond declared properties
    let n = 0;
    while (Object.keys(out).length < minProps && n < minProps + 20) {
      n++;
      let key: string | undefined;
      let valueSchema: JsonSchema | undefined;
      const patterns = Object.entries(patternProperties);
      const entry = patterns[n % Math.max(1, patterns.length)];
      if (entry) {
        const [p, s] = entry;
        try {
          key = generatePattern(p, this.rng);
        } catch {
          key = undefined;
        }
        valueSchema = s;
      }
      if (key === undefined && additional !== false) {
        key =
          propertyNames !== undefined && isPlainObject(propertyNames) ? String(this.gen(mergeSchemas({ type: 'string' }, propertyNames), ctx)) : `field_${n}`;
        valueSchema = additional ?? true;
      }
      if (key === undefined || key in out) continue;
      out[key] = this.gen(valueSchema ?? true, { ...ctx, depth: ctx.depth + 1, key });
    }
    return out;
  }
}

function terminalRank(s: JsonSchema): number {
  if (typeof s === 'boolean') return s ? 2 : 9;
  const types = declaredTypes(s);
  if (types?.includes('null')) return 0;
  if ('$ref' in s || 'properties' in s || 'items' in s || 'anyOf' in s || 'oneOf' in s || 'allOf' in s) return 3;
  return 1;
}

/** Validates a sub-schema while resolving $refs against the document root. */
function validateWithRoot(root: JsonSchema, schema: JsonSchema, value: unknown): boolean {
  return validateJsonSchema(schema, value, root).length === 0;
}

/** Generates a value valid against `schema` (deterministic for a given seed). */
export function fakeFromSchema(schema: unknown, options: FakeOptions = {}): unknown {
  const root: JsonSchema = isSchema(schema) ? schema : true;
  const rng = options.rng ?? createRng(options.seed ?? canonicalJson(root));
  const keywords = options.keywords ?? [];
  const maxDepth = options.maxDepth ?? 6;
  let first: unknown;
  for (let attempt = 0; attempt < 6; attempt++) {
    const faker = new Faker(root, attempt === 0 ? rng : rng.fork(`attempt-${attempt}`), keywords, attempt >= 3 ? Math.max(1, maxDepth - 3) : maxDepth);
    const value = faker.gen(root, { depth: 0, refs: [], minimal: false });
    if (attempt === 0) first = value;
    if (validateJsonSchema(root, value).length === 0) return value;
  }
  return first;
}

/** A generic JSON object for "json mode" requests (no schema), using keys named in the prompt if any. */
export function fakeJsonObject(rng: Rng, keywords: readonly string[], promptText = ''): Record<string, unknown> {
  const named = new Set<string>();
  for (const m of promptText.matchAll(/[`"']([A-Za-z_][A-Za-z0-9_]{1,40})[`"']/g)) {
    const k = m[1] ?? '';
    if (k && !['json', 'JSON', 'true', 'false', 'null'].includes(k)) named.add(k);
    if (named.size >= 8) break;
  }
  if (named.size === 0) {
    return {
      answer: sentence(rng, keywords),
      keywords: keywords.slice(0, 3).length > 0 ? keywords.slice(0, 3) : ['general'],
      confidence: Math.round((0.6 + rng.next() * 0.35) * 100) / 100,
    };
  }
  const out: Record<string, unknown> = {};
  for (const key of named) {
    const lk = key.toLowerCase();
    if (/score|confidence|probability|rating|count|total|year|age/.test(lk))
      out[key] = fakeFromSchema(
        { type: 'number', minimum: 0, maximum: /rating/.test(lk) ? 5 : /count|total|year|age/.test(lk) ? 100 : 1 },
        { rng: rng.fork(key) },
      );
    else if (/s$/.test(lk) && /tags|keywords|themes|topics|items|list|labels|genres/.test(lk))
      out[key] = keywords.slice(0, 3).length > 0 ? keywords.slice(0, 3) : ['general'];
    else if (/^is_|^has_|enabled|explicit/.test(lk)) out[key] = rng.bool();
    else out[key] = textForKey(key, rng, keywords);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// schema violations (fault injection)

function wrongValueFor(schema: JsonSchema): unknown[] {
  if (typeof schema === 'boolean') return [12345, 'unexpected'];
  const types = declaredTypes(schema) ?? [];
  const out: unknown[] = [];
  if (Array.isArray(schema['enum']) || 'const' in schema) out.push('__not_an_allowed_value__');
  if (!types.includes('string')) out.push('not-a-valid-value');
  if (!types.includes('number') && !types.includes('integer')) out.push(12345);
  if (!types.includes('array')) out.push(['unexpected']);
  if (!types.includes('object')) out.push({ unexpected: true });
  if (!types.includes('null')) out.push(null);
  if (!types.includes('boolean')) out.push(true);
  return out;
}

/**
 * A value that is valid JSON but NOT valid against `schema` (derived from a valid `value`):
 * a required property dropped, a property of the wrong type, an unexpected property, or a value of
 * the wrong type. With `requireObject`, only objects are returned (for Anthropic tool input).
 */
export function violateSchema(schema: unknown, value: unknown, options: { requireObject?: boolean } = {}): unknown {
  const root: JsonSchema = isSchema(schema) ? schema : true;
  const candidates: unknown[] = [];
  let top: JsonSchemaObject | undefined;
  if (isPlainObject(root)) {
    top = root;
    for (let i = 0; i < 8; i++) {
      const ref = str(top, '$ref');
      if (ref === undefined) break;
      const target = resolveRef(root, ref);
      if (!isPlainObject(target)) break;
      top = { ...target, ...without(top, '$ref') };
    }
  }
  if (top && isPlainObject(value)) {
    const [firstRequired] = stringList(top, 'required');
    if (firstRequired !== undefined) {
      const copy = { ...value };
      delete copy[firstRequired];
      candidates.push(copy);
    }
    const props = subMap(top, 'properties') ?? {};
    for (const key of Object.keys(value)) {
      for (const wrong of wrongValueFor(props[key] ?? true)) candidates.push({ ...value, [key]: wrong });
      break;
    }
    candidates.push({ ...value, __unexpected_field__: 'schema-violation' });
  }
  if (options.requireObject) candidates.push({ __emulator__: 'schema-violation' }, {});
  else candidates.push(...wrongValueFor(top ?? true), 'schema-violation', 12345, [], null, { __emulator__: 'schema-violation' });
  for (const c of candidates) {
    if (options.requireObject && !isPlainObject(c)) continue;
    if (validateJsonSchema(root, c).length > 0) return c;
  }
  return candidates[0];
}
