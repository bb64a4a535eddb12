import { LRUCache } from 'lru-cache';
import type { Rng } from './rng';

/**
 * Generates strings that match simple ECMAScript regular expressions (the `pattern` keyword):
 * literals, escapes (\d \w \s \uXXXX …), classes and ranges, `.`, groups, alternation and
 * quantifiers (? * + {n} {n,} {n,m}). Lookarounds and backreferences are not supported
 * (generatePattern throws UnsupportedPatternError).
 */

export class UnsupportedPatternError extends Error {}

type Range = readonly [number, number];

type Node =
  | { t: 'seq'; items: Node[] }
  | { t: 'alt'; options: Node[] }
  | { t: 'lit'; ch: string }
  | { t: 'set'; ranges: Range[]; negated: boolean }
  | { t: 'any' }
  | { t: 'repeat'; node: Node; min: number; max: number }
  | { t: 'empty' };

const DIGIT: Range[] = [[48, 57]];
const WORD: Range[] = [
  [97, 122],
  [65, 90],
  [48, 57],
  [95, 95],
];
const SPACE: Range[] = [[32, 32]];
const LETTERS: Range[] = [
  [97, 122],
  [65, 90],
];
/** Characters tried (in order) when a class is negated. */
const PREFERRED = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_. ';

/** Code point at a position (0 when out of range). */
function cp(s: string, i = 0): number {
  return s.codePointAt(i) ?? 0;
}

class Parser {
  private i = 0;
  constructor(private readonly src: string) {}

  parse(): Node {
    const node = this.alt();
    if (this.i < this.src.length) throw new UnsupportedPatternError(`unexpected ')' at ${this.i}`);
    return node;
  }

  private peek(): string | undefined {
    return this.src[this.i];
  }

  private alt(): Node {
    const options = [this.seq()];
    while (this.peek() === '|') {
      this.i++;
      options.push(this.seq());
    }
    const [only] = options;
    return options.length === 1 && only ? only : { t: 'alt', options };
  }

  private seq(): Node {
    const items: Node[] = [];
    while (this.i < this.src.length && this.peek() !== '|' && this.peek() !== ')') {
      const atom = this.atom();
      items.push(this.quantifier(atom));
    }
    return { t: 'seq', items };
  }

  private quantifier(atom: Node): Node {
    const c = this.peek();
    let min: number;
    let max: number;
    if (c === '*') [min, max] = [0, Infinity];
    else if (c === '+') [min, max] = [1, Infinity];
    else if (c === '?') [min, max] = [0, 1];
    else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.i));
      if (!m) return atom;
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' || m[3] === undefined ? Infinity : Number(m[3]);
      this.i += m[0].length - 1;
    } else return atom;
    this.i++;
    if (this.peek() === '?' || this.peek() === '+') this.i++; // lazy / possessive: same language
    return { t: 'repeat', node: atom, min, max };
  }

  private atom(): Node {
    const c = this.src.charAt(this.i++);
    switch (c) {
      case '^':
      case '$':
        return { t: 'empty' };
      case '.':
        return { t: 'any' };
      case '(': {
        if (this.peek() === '?') {
          const rest = this.src.slice(this.i);
          if (rest.startsWith('?:')) this.i += 2;
          else if (/^\?<[A-Za-z_$][\w$]*>/.test(rest)) this.i = this.src.indexOf('>', this.i) + 1;
          else throw new UnsupportedPatternError('lookaround assertions are not supported');
        }
        const inner = this.alt();
        if (this.src[this.i] !== ')') throw new UnsupportedPatternError('unbalanced group');
        this.i++;
        return inner;
      }
      case '[':
        return this.cls();
      case '\\':
        return this.escape(false);
      default:
        return { t: 'lit', ch: c };
    }
  }

  private escapeRanges(e: string): Range[] | { negated: Range[] } | undefined {
    switch (e) {
      case 'd':
        return DIGIT;
      case 'w':
        return WORD;
      case 's':
        return SPACE;
      case 'D':
        return { negated: DIGIT };
      case 'W':
        return { negated: WORD };
      case 'S':
        return { negated: [[0, 32]] };
      default:
        return undefined;
    }
  }

  /** Parses an escape after the backslash; returns a node (outside classes). */
  private escape(inClass: boolean): Node {
    const e = this.src[this.i++];
    if (e === undefined) throw new UnsupportedPatternError('dangling escape');
    const ranges = this.escapeRanges(e);
    if (ranges) return Array.isArray(ranges) ? { t: 'set', ranges, negated: false } : { t: 'set', ranges: ranges.negated, negated: true };
    if (!inClass && (e === 'b' || e === 'B')) return { t: 'empty' };
    if (/[1-9]/.test(e) && !inClass) throw new UnsupportedPatternError('backreferences are not supported');
    if (e === 'k') throw new UnsupportedPatternError('backreferences are not supported');
    const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', f: '\f', v: '\v', '0': '\0', b: '\b' };
    const lit = simple[e];
    if (lit !== undefined) return { t: 'lit', ch: lit };
    if (e === 'x') {
      const hex = this.src.slice(this.i, this.i + 2);
      this.i += 2;
      return { t: 'lit', ch: String.fromCodePoint(parseInt(hex, 16)) };
    }
    if (e === 'u') {
      if (this.peek() === '{') {
        const end = this.src.indexOf('}', this.i);
        const hex = this.src.slice(this.i + 1, end);
        this.i = end + 1;
        return { t: 'lit', ch: String.fromCodePoint(parseInt(hex, 16)) };
      }
      const hex = this.src.slice(this.i, this.i + 4);
      this.i += 4;
      return { t: 'lit', ch: String.fromCharCode(parseInt(hex, 16)) };
    }
    if (e === 'p' || e === 'P') {
      if (this.peek() === '{') this.i = this.src.indexOf('}', this.i) + 1;
      return e === 'p' ? { t: 'set', ranges: LETTERS, negated: false } : { t: 'set', ranges: DIGIT, negated: false };
    }
    if (e === 'c') {
      this.i++;
      return { t: 'lit', ch: 'A' };
    }
    return { t: 'lit', ch: e };
  }

  private cls(): Node {
    let negated = false;
    if (this.peek() === '^') {
      negated = true;
      this.i++;
    }
    const ranges: Range[] = [];
    const negatedParts: Range[][] = [];
    while (this.i < this.src.length && this.peek() !== ']') {
      let lo: number;
      if (this.peek() === '\\') {
        this.i++;
        const node = this.escape(true);
        if (node.t === 'set') {
          if (node.negated) negatedParts.push(node.ranges);
          else ranges.push(...node.ranges);
          continue;
        }
        lo = node.t === 'lit' ? cp(node.ch) : 0;
      } else {
        lo = cp(this.src, this.i);
        this.i += lo > 0xffff ? 2 : 1;
      }
      if (this.peek() === '-' && this.src[this.i + 1] !== ']' && this.src[this.i + 1] !== undefined) {
        this.i++;
        let hi: number;
        if (this.peek() === '\\') {
          this.i++;
          const node = this.escape(true);
          hi = node.t === 'lit' ? cp(node.ch) : lo;
        } else {
          hi = cp(this.src, this.i);
          this.i += hi > 0xffff ? 2 : 1;
        }
        ranges.push([Math.min(lo, hi), Math.max(lo, hi)]);
      } else ranges.push([lo, lo]);
    }
    if (this.peek() !== ']') throw new UnsupportedPatternError('unterminated character class');
    this.i++;
    // [\D] / [\W] etc.: approximate by adding the preferred characters outside the negated part
    for (const part of negatedParts) {
      for (const ch of PREFERRED) {
        const code = cp(ch);
        if (!part.some(([a, b]) => code >= a && code <= b)) ranges.push([code, code]);
      }
    }
    return { t: 'set', ranges, negated };
  }
}

const astCache = new LRUCache<string, Node>({ max: 1000 });

function parse(pattern: string): Node {
  let ast = astCache.get(pattern);
  if (!ast) {
    ast = new Parser(pattern).parse();
    astCache.set(pattern, ast);
  }
  return ast;
}

interface GenMode {
  /** extra repetitions to favour (grows to reach a minLength) */
  extra: number;
  /** use the minimum repetition count everywhere */
  minimal: boolean;
}

function pickFromSet(rng: Rng, ranges: readonly Range[], negated: boolean): string {
  const inSet = (cp: number): boolean => ranges.some(([a, b]) => cp >= a && cp <= b);
  if (negated) {
    const allowed = [...PREFERRED].filter((ch) => !inSet(cp(ch)));
    if (allowed.length > 0) return rng.pick(allowed.slice(0, 26));
    for (let cp = 33; cp < 0x3000; cp++) if (!inSet(cp)) return String.fromCodePoint(cp);
    return '~';
  }
  if (ranges.length === 0) throw new UnsupportedPatternError('empty character class');
  // prefer letters/digits that fall in the set, for readability
  const nice = [...PREFERRED.slice(0, 62)].filter((ch) => inSet(cp(ch)));
  if (nice.length > 0 && rng.bool(0.85)) return rng.pick(nice);
  const total = ranges.reduce((n, [a, b]) => n + (b - a + 1), 0);
  let k = Math.floor(rng.next() * total);
  for (const [a, b] of ranges) {
    const size = b - a + 1;
    if (k < size) return String.fromCodePoint(a + k);
    k -= size;
  }
  const first = ranges[0];
  return String.fromCodePoint(first ? first[0] : 97);
}

function gen(node: Node, rng: Rng, mode: GenMode): string {
  switch (node.t) {
    case 'seq':
      return node.items.map((n) => gen(n, rng, mode)).join('');
    case 'alt':
      return gen(rng.pick(node.options), rng, mode);
    case 'lit':
      return node.ch;
    case 'any':
      return rng.pick([...'abcdefghijklmnopqrstuvwxyz']);
    case 'set':
      return pickFromSet(rng, node.ranges, node.negated);
    case 'empty':
      return '';
    case 'repeat': {
      let count: number;
      if (mode.minimal) count = node.min;
      else {
        const span = node.max === Infinity ? 3 + mode.extra : node.max - node.min;
        count = node.min + Math.min(span, rng.int(0, 3) + mode.extra);
      }
      let out = '';
      for (let k = 0; k < count; k++) out += gen(node.node, rng, mode);
      return out;
    }
  }
}

function lengthOf(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/**
 * A string matching `pattern` (search semantics, like JSON Schema) with minLength ≤ length ≤ maxLength,
 * or undefined when none was found. Throws UnsupportedPatternError for unsupported syntax.
 */
export function generatePattern(pattern: string, rng: Rng, minLength = 0, maxLength = Infinity): string | undefined {
  let re: RegExp;
  try {
    re = new RegExp(pattern, 'u');
  } catch {
    re = new RegExp(pattern);
  }
  const ast = parse(pattern);
  const ok = (s: string): boolean => {
    const n = lengthOf(s);
    return n >= minLength && n <= maxLength && re.test(s);
  };
  const modes: GenMode[] = [
    { extra: 0, minimal: false },
    { extra: 0, minimal: true },
    { extra: 0, minimal: false },
  ];
  for (let k = 1; k <= 40; k++) modes.push({ extra: k, minimal: false });
  for (let k = 7; k <= 24; k++) modes.push({ extra: k * k, minimal: false });
  let last: string | undefined;
  let tooLong = 0;
  for (const mode of modes) {
    const s = gen(ast, rng, mode);
    if (ok(s)) return s;
    last = s;
    // growing further cannot help once several attempts overshoot the maximum
    if (lengthOf(s) > maxLength && mode.extra > 0 && ++tooLong >= 3) break;
  }
  // Unanchored patterns also match with padding around the match.
  const anchoredEnd = /(^|[^\\])\$$/.test(pattern);
  const anchoredStart = pattern.startsWith('^');
  if (last !== undefined && re.test(last) && lengthOf(last) < minLength) {
    const pad = 'x'.repeat(minLength - lengthOf(last));
    if (!anchoredEnd && ok(last + pad)) return last + pad;
    if (!anchoredStart && ok(pad + last)) return pad + last;
  }
  return undefined;
}
