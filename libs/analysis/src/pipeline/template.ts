// Prompt templates: a small, logic-less subset of Mustache over the item's input and earlier steps' outputs.
//   {{input.title}}                 a value; strings as they are, numbers/booleans as text, objects and arrays as JSON,
//                                   a missing or null value as nothing
//   {{#input.rubric}}…{{/input.rubric}}   the block only when the value is present (not null, false, "" or [])
//   {{^input.rubric}}…{{/input.rubric}}   the block only when it is not
// Paths start at `input` or `steps.<name>`, then follow properties or array indexes (`steps.outline.sections.0`).
import type { JsonSchema } from '@margin/contracts';
import { LRUCache } from 'lru-cache';
import type { ProfileDefinition } from './pipeline.types';

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

export type TemplateNode =
  | { kind: 'text'; text: string }
  | { kind: 'value'; path: string[]; raw: string }
  | { kind: 'section'; path: string[]; raw: string; inverted: boolean; children: TemplateNode[] };

export interface TemplateScope {
  input: unknown;
  steps: Record<string, unknown>;
}

const TAG = /\{\{\s*([#^/]?)\s*([^{}]*?)\s*\}\}/g;
const PATH = /^(input|steps)(\.[A-Za-z0-9_-]+)*$/;

function toPath(raw: string): string[] {
  if (!PATH.test(raw)) throw new TemplateError(`{{${raw}}} is not a path: templates can only refer to input.<field> and steps.<name>.<field>`);
  const path = raw.split('.');
  if (path[0] === 'steps' && path.length < 2) throw new TemplateError('{{steps}} must name a step: steps.<name>');
  return path;
}

const parsed = new LRUCache<string, TemplateNode[]>({ max: 1000 });

/** Parses a template (memoized: profiles are few and their templates are rendered once per step call). */
export function parseTemplate(source: string): TemplateNode[] {
  const hit = parsed.get(source);
  if (hit) return hit;
  const root: TemplateNode[] = [];
  const open: Array<{ raw: string; children: TemplateNode[] }> = [];
  let target = root;
  let last = 0;
  for (const m of source.matchAll(TAG)) {
    const [whole, sigil = '', raw = ''] = m;
    const at = m.index;
    if (at > last) target.push({ kind: 'text', text: source.slice(last, at) });
    last = at + whole.length;
    if (sigil === '/') {
      const top = open.pop();
      if (!top) throw new TemplateError(`{{/${raw}}} closes a block that was never opened`);
      if (top.raw !== raw) throw new TemplateError(`{{/${raw}}} closes {{#${top.raw}}}: blocks must close in order`);
      target = open.at(-1)?.children ?? root;
      continue;
    }
    const path = toPath(raw);
    if (sigil === '') {
      target.push({ kind: 'value', path, raw });
      continue;
    }
    const section: TemplateNode = { kind: 'section', path, raw, inverted: sigil === '^', children: [] };
    target.push(section);
    open.push({ raw, children: section.children });
    target = section.children;
  }
  const unclosed = open.at(-1);
  if (unclosed) throw new TemplateError(`{{#${unclosed.raw}}} is never closed with {{/${unclosed.raw}}}`);
  const rest = source.slice(last);
  if (rest) root.push({ kind: 'text', text: rest });
  if (/\{\{/.test(source.replace(TAG, ''))) {
    // A stray "{{" is almost always a broken tag; literal double braces are not supported.
    throw new TemplateError('contains a "{{" that does not open a tag such as {{input.field}}');
  }
  parsed.set(source, root);
  return root;
}

function lookup(scope: TemplateScope, path: readonly string[]): unknown {
  let value: unknown = scope;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = Array.isArray(value) ? (/^\d+$/.test(key) ? value[Number(key)] : undefined) : (value as Record<string, unknown>)[key];
  }
  return value;
}

function present(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === '') return false;
  return !(Array.isArray(value) && value.length === 0);
}

function text(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

function renderNodes(nodes: readonly TemplateNode[], scope: TemplateScope): string {
  let out = '';
  for (const node of nodes) {
    switch (node.kind) {
      case 'text':
        out += node.text;
        break;
      case 'value':
        out += text(lookup(scope, node.path));
        break;
      case 'section':
        if (present(lookup(scope, node.path)) !== node.inverted) out += renderNodes(node.children, scope);
        break;
    }
  }
  return out;
}

export function renderTemplate(source: string, scope: TemplateScope): string {
  return renderNodes(parseTemplate(source), scope);
}

/** Every path a template refers to (values and blocks), in order. */
export function templateReferences(source: string): Array<{ path: string[]; raw: string }> {
  const refs: Array<{ path: string[]; raw: string }> = [];
  const walk = (nodes: readonly TemplateNode[]) => {
    for (const n of nodes) {
      if (n.kind === 'value') refs.push({ path: n.path, raw: n.raw });
      else if (n.kind === 'section') {
        refs.push({ path: n.path, raw: n.raw });
        walk(n.children);
      }
    }
  };
  walk(parseTemplate(source));
  return refs;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const SCALAR_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'null']);

/**
 * Whether a value at `path` can exist under `schema`. Where the schema does not say (no `properties`,
 * a `$ref`, a combinator), it is given the benefit of the doubt; where it lists the properties and the
 * path is not among them, or the value is a scalar, it cannot.
 */
export function schemaDefines(schema: unknown, path: readonly string[]): boolean {
  if (path.length === 0 || !isRecord(schema)) return true;
  const branches = ['anyOf', 'oneOf', 'allOf'].flatMap((k) => (Array.isArray(schema[k]) ? (schema[k] as unknown[]) : []));
  if (branches.length > 0 || '$ref' in schema) {
    if ('$ref' in schema) return true;
    if (branches.some((b) => schemaDefines(b, path))) return true;
  }
  const [key = '', ...rest] = path;
  const props = schema['properties'];
  if (isRecord(props) && key in props) return schemaDefines(props[key], rest);
  const type = schema['type'];
  const types = Array.isArray(type) ? type : type === undefined ? [] : [type];
  if (/^\d+$/.test(key) && (types.includes('array') || 'items' in schema || 'prefixItems' in schema)) {
    const prefix = schema['prefixItems'];
    if (Array.isArray(prefix) && Number(key) < prefix.length) return schemaDefines(prefix[Number(key)], rest);
    return schemaDefines(schema['items'], rest);
  }
  if (isRecord(schema['patternProperties'])) return true;
  if (isRecord(schema['additionalProperties'])) return schemaDefines(schema['additionalProperties'], rest);
  if (isRecord(props)) return false;
  if (types.length > 0 && types.every((t) => typeof t === 'string' && SCALAR_TYPES.has(t))) return false;
  if (types.length > 0 && types.every((t) => t === 'array')) return false;
  return branches.length === 0;
}

const TEMPLATE_FIELDS = ['system', 'prompt'] as const;

/**
 * Problems with a profile's templates: syntax, and references that could never resolve — `input.<field>`
 * that the inputSchema does not define, `steps.<name>` that is not an earlier step, or a field that the
 * step's outputSchema does not define. Empty when all is well.
 */
export function validateTemplates(profile: Pick<ProfileDefinition, 'inputSchema' | 'steps'>): string[] {
  const problems: string[] = [];
  const earlier = new Map<string, JsonSchema>();
  profile.steps.forEach((step, i) => {
    for (const field of TEMPLATE_FIELDS) {
      const source = step[field];
      if (source === undefined) continue;
      const where = `steps.${i}.${field}`;
      let refs: Array<{ path: string[]; raw: string }>;
      try {
        refs = templateReferences(source);
      } catch (e) {
        problems.push(`${where}: ${e instanceof Error ? e.message : String(e)}`);
        continue;
      }
      for (const { path, raw } of refs) {
        const [root, name = '', ...rest] = path;
        if (root === 'input') {
          if (!schemaDefines(profile.inputSchema, path.slice(1))) problems.push(`${where} refers to ${raw}, which is not a property of the inputSchema`);
        } else if (!earlier.has(name)) {
          problems.push(`${where} refers to steps.${name}, which is not an earlier step`);
        } else if (!schemaDefines(earlier.get(name), rest)) {
          problems.push(`${where} refers to ${raw}, which the outputSchema of step "${name}" does not define`);
        }
      }
    }
    if (!earlier.has(step.name)) earlier.set(step.name, step.outputSchema);
  });
  return [...new Set(problems)];
}
