// Input that is well-formed JSON but that the layers behind the HTTP parsers cannot take: nesting deep enough
// to overflow class-transformer's and class-validator's recursion, keys that class-transformer mistakes for a
// constructor, NUL characters PostgreSQL refuses to store, and lone UTF-16 surrogates that make validator.js
// throw. Each is refused with a 400 naming the problem and where it is, before any of those layers sees it.
import { BadRequestException } from '@nestjs/common';
import { unstorableText } from './storable-text';

/** How deep a request's JSON may nest: far beyond any real payload (a policy matrix is 4 levels, a JSON schema ~10). */
export const MAX_JSON_DEPTH = 64;

/** Object keys refused anywhere: class-transformer builds `new value.constructor()` from them (a TypeError) or would set the prototype. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor']);

export class HostileInputError extends BadRequestException {
  constructor(problem: string) {
    super([problem]);
  }
}

function describePath(path: Array<string | number>, what: string): string {
  return path.length ? path.join('.') : what;
}

/**
 * Scans raw JSON text for nesting deeper than `maxDepth` without parsing it (linear, stops at the first
 * offence), so a 10 MB `[[[[…` costs a scan, not a parse and a recursion. Strings are skipped correctly.
 */
export function assertJsonDepth(raw: Buffer | string, maxDepth = MAX_JSON_DEPTH, what = 'request body'): void {
  const bytes = typeof raw === 'string' ? Buffer.from(raw) : raw;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (inString) {
      if (b === 0x5c)
        i++; // backslash: skip the escaped character
      else if (b === 0x22) inString = false;
      continue;
    }
    if (b === 0x22) inString = true;
    else if (b === 0x7b || b === 0x5b) {
      if (++depth > maxDepth) throw new HostileInputError(`${what} nests deeper than ${maxDepth} levels`);
    } else if (b === 0x7d || b === 0x5d) depth--;
  }
}

function stringProblem(s: string): string | undefined {
  return unstorableText(s) ?? undefined;
}

/**
 * The first thing in a parsed value that the app cannot take (see the file's comment), as a message naming
 * where it is (`items.3.lyrics must not contain NUL characters`), or undefined. Iterative, so any depth is safe.
 */
export function findHostileValue(value: unknown, maxDepth = MAX_JSON_DEPTH, what = 'request body'): string | undefined {
  const stack: Array<{ value: unknown; path: Array<string | number> }> = [{ value, path: [] }];
  while (stack.length) {
    const { value: v, path } = stack.pop() as { value: unknown; path: Array<string | number> };
    if (typeof v === 'string') {
      const problem = stringProblem(v);
      if (problem) return `${describePath(path, what)} ${problem}`;
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (path.length >= maxDepth) return `${what} nests deeper than ${maxDepth} levels (at ${path.slice(0, 8).join('.')}…)`;
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], path: [...path, i] });
      continue;
    }
    // Only plain data comes from the parsers; anything else (a Buffer from multer, a Date) is not walked.
    const proto = Object.getPrototypeOf(v) as unknown;
    if (proto !== Object.prototype && proto !== null) continue;
    for (const key of Object.keys(v)) {
      if (FORBIDDEN_KEYS.has(key)) return `${describePath([...path, key], what)} is not an allowed property name`;
      const problem = stringProblem(key);
      if (problem) return `${describePath(path, what)} has a property name that ${problem}`;
      stack.push({ value: (v as Record<string, unknown>)[key], path: [...path, key] });
    }
  }
  return undefined;
}

export function assertNotHostile(value: unknown, what?: string): void {
  const problem = findHostileValue(value, MAX_JSON_DEPTH, what);
  if (problem) throw new HostileInputError(problem);
}
