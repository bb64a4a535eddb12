// A JSON object body whose one big array field (a job's `items`) is handed out an element at a time, so that a
// 100,000-item submission is never held in memory whole. Tokenizing is stream-json's; this file only decides
// which values to assemble and hand out, and enforces the body's limits (size, nesting, field size).
import { DomainError } from '@margin/core';
import Assembler = require('stream-json/Assembler');
import Parser = require('stream-json/Parser');

export class InvalidJsonBodyError extends DomainError {
  readonly code = 'invalid_json';
  readonly httpStatus = 400;
}

export class BodyTooLargeError extends DomainError {
  readonly code = 'payload_too_large';
  readonly httpStatus = 413;
  constructor(limit: number) {
    super(`request entity too large (the limit is ${limit} bytes)`);
  }
}

/** A top-level field other than the streamed one, parsed; or one element of the streamed array, parsed. */
export type BodyEvent = { kind: 'field'; key: string; value: unknown } | { kind: 'item'; value: unknown } | { kind: 'itemsStart' } | { kind: 'itemsEnd' };

/** "10mb", "200kb", "1gb", "512b" or a plain number of bytes (body-parser's notation, 1024-based). */
export function parseByteSize(limit: string | number): number {
  if (typeof limit === 'number') return limit;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|tb)?\s*$/i.exec(limit);
  if (!m) throw new Error(`not a byte size: ${limit}`);
  const unit = { b: 0, kb: 1, mb: 2, gb: 3, tb: 4 }[(m[2] ?? 'b').toLowerCase() as 'b'];
  return Math.floor(Number(m[1]) * 1024 ** unit);
}

/** Largest value of a field other than the streamed array (`metadata`, `name`…): a guard against a huge one. */
const MAX_FIELD_BYTES = 1024 * 1024;
/** Deepest nesting accepted anywhere in the body (the object itself is level 1). */
export const MAX_JSON_DEPTH = 64;

interface Token {
  name: string;
  value?: string;
}

const PRIMITIVES: Record<string, ((v: string | undefined) => unknown) | undefined> = {
  stringValue: (v) => v ?? '',
  numberValue: (v) => Number(v),
  nullValue: () => null,
  trueValue: () => true,
  falseValue: () => false,
};

/**
 * Turns stream-json's tokens into body events. Levels: 0 outside the body, 1 inside the top-level object,
 * 2 inside the streamed array. A value below the current level is assembled whole, with its size counted.
 */
export class BodyEventBuilder {
  private level = 0;
  private key: string | null = null;
  private inItems = false;
  private itemsSeen = false;
  private index = 0;
  private asm: Assembler | null = null;
  /** Nesting inside the value being assembled. */
  private depth = 0;
  private valueBytes = 0;
  private done = false;

  constructor(
    private readonly streamedField = 'items',
    private readonly maxDepth = MAX_JSON_DEPTH,
  ) {}

  push(t: Token, out: BodyEvent[]): void {
    if (this.asm) return this.assemble(t, out);
    if (this.done) this.fail('unexpected content after the body');
    if (this.level === 0) {
      if (t.name !== 'startObject') this.fail('the body must be a JSON object');
      this.level = 1;
      return;
    }
    if (this.inItems) {
      if (t.name === 'endArray') {
        this.inItems = false;
        out.push({ kind: 'itemsEnd' });
        return;
      }
      return this.startValue(t, out, 2);
    }
    // level 1: a key, the end of the body, or the value of the key just read
    if (this.key === null) {
      if (t.name === 'endObject') {
        this.level = 0;
        this.done = true;
        return;
      }
      if (t.name !== 'keyValue') this.fail('expected a property name');
      if (t.value === '__proto__') this.fail('"__proto__" is not an allowed property name');
      this.key = t.value ?? '';
      return;
    }
    if (this.key === this.streamedField && t.name === 'startArray') {
      if (this.itemsSeen) this.fail(`"${this.streamedField}" appears twice`);
      this.itemsSeen = true;
      this.inItems = true;
      this.key = null;
      out.push({ kind: 'itemsStart' });
      return;
    }
    return this.startValue(t, out, 1);
  }

  /** The body ended: it must have been one complete object. */
  end(): void {
    if (!this.done) this.fail('the body ended before the JSON object was complete');
  }

  private startValue(t: Token, out: BodyEvent[], level: 1 | 2): void {
    const primitive = PRIMITIVES[t.name];
    if (primitive) return this.emit(primitive(t.value), out, level);
    if (t.name !== 'startObject' && t.name !== 'startArray') this.fail(`unexpected ${t.name}`);
    this.asm = new Assembler();
    this.depth = 0;
    this.valueBytes = 0;
    this.assemble(t, out);
  }

  private assemble(t: Token, out: BodyEvent[]): void {
    const asm = this.asm as Assembler;
    if (t.name === 'startObject' || t.name === 'startArray') {
      if (++this.depth + (this.inItems ? 2 : 1) > this.maxDepth) this.fail(`${this.where()}: nested deeper than ${this.maxDepth} levels`);
    } else if (t.name === 'endObject' || t.name === 'endArray') this.depth--;
    else if (t.name === 'keyValue' && t.value === '__proto__') this.fail(`${this.where()}: "__proto__" is not an allowed property name`);
    this.valueBytes += (t.value?.length ?? 0) + 1;
    if (!this.inItems && this.valueBytes > MAX_FIELD_BYTES) this.fail(`the value of "${this.key}" is larger than ${MAX_FIELD_BYTES} bytes`);
    asm.consume(t);
    if (this.depth === 0) {
      this.asm = null;
      this.emit(asm.current as unknown, out, this.inItems ? 2 : 1);
    }
  }

  private emit(value: unknown, out: BodyEvent[], level: 1 | 2): void {
    if (level === 2) {
      out.push({ kind: 'item', value });
      this.index++;
      return;
    }
    out.push({ kind: 'field', key: this.key ?? '', value });
    this.key = null;
  }

  private where(): string {
    return this.inItems ? `${this.streamedField}[${this.index}]` : `"${this.key}"`;
  }

  /** Where the reader is, for a syntax error found by the tokenizer. */
  location(): string {
    if (this.inItems) return this.where();
    return this.key !== null ? `"${this.key}"` : this.level === 0 && !this.done ? 'the start of the body' : 'the body';
  }

  private fail(message: string): never {
    throw new InvalidJsonBodyError(`Invalid JSON body: ${message}`);
  }
}

/** The source's bytes, failing once more than `limitBytes` arrived. */
async function* limited(source: AsyncIterable<Buffer | string>, limitBytes: number): AsyncGenerator<Buffer> {
  let total = 0;
  for await (const piece of source) {
    const chunk = typeof piece === 'string' ? Buffer.from(piece) : piece;
    total += chunk.length;
    if (total > limitBytes) throw new BodyTooLargeError(limitBytes);
    yield chunk;
  }
}

/**
 * stream-json's tokenizer, with its tokens handed straight to a callback as it finds them instead of queued on
 * its readable side: the reader's position is exact when a syntax error stops it (the 400 names the item).
 */
class TokenReader extends Parser {
  onToken: (t: Token) => void = () => undefined;

  override push(chunk: unknown, encoding?: BufferEncoding): boolean {
    if (chunk === null) return super.push(null, encoding);
    this.onToken(chunk as Token);
    return true;
  }
}

/**
 * The events of a JSON body read from a byte stream, enforcing its limits. The stream is read as fast as the
 * consumer takes events (back-pressure reaches the client instead of filling memory). Errors of the source
 * (a size limit, a bad compression, a client gone) come out as they are; syntax errors as InvalidJsonBodyError.
 */
export async function* jsonBodyEvents(
  source: AsyncIterable<Buffer | string>,
  options: { limitBytes: number; streamedField?: string; maxDepth?: number },
): AsyncGenerator<BodyEvent> {
  const reader = new TokenReader({ packKeys: true, packStrings: true, packNumbers: true, streamKeys: false, streamStrings: false, streamNumbers: false });
  const builder = new BodyEventBuilder(options.streamedField, options.maxDepth);
  const out: BodyEvent[] = [];
  let failure: unknown = null;
  const fail = (err: unknown) => {
    if (failure === null) failure = err;
  };
  reader.onToken = (t) => {
    if (failure !== null) return;
    try {
      builder.push(t, out);
    } catch (err) {
      fail(err);
    }
  };
  reader.on('error', fail);
  const feed = (chunk: Buffer | null) =>
    new Promise<void>((resolve) => {
      const done = (err?: Error | null) => {
        if (err) fail(err);
        resolve();
      };
      if (chunk) reader.write(chunk, done);
      else reader.end(done);
    });
  const check = () => {
    if (failure === null) return;
    if (failure instanceof DomainError) throw failure;
    // stream-json's syntax errors are plain Errors ("Parser cannot parse input: …", "Parser has expected a value")
    const message = failure instanceof Error ? failure.message : String(failure);
    throw new InvalidJsonBodyError(`Invalid JSON body at ${builder.location()}: ${message.replace(/^Parser (cannot parse input: )?/, '')}`);
  };
  try {
    for await (const chunk of limited(source, options.limitBytes)) {
      await feed(chunk);
      check();
      if (out.length) {
        yield* out;
        out.length = 0;
      }
    }
    await feed(null);
    check();
    yield* out;
  } finally {
    reader.destroy();
  }
  builder.end();
}
