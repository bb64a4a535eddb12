// An incremental reader for a JSON object body whose one big array field (a job's `items`) is handed out an
// element at a time, so that a 100,000-item submission is never held in memory whole.
import { DomainError } from '@margin/core';

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
export type BodyEvent = { kind: 'field'; key: string; value: unknown } | { kind: 'item'; value: unknown; raw?: string } | { kind: 'itemsStart' } | { kind: 'itemsEnd' };

/** "10mb", "200kb", "1gb", "512b" or a plain number of bytes (body-parser's notation, 1024-based). */
export function parseByteSize(limit: string | number): number {
  if (typeof limit === 'number') return limit;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|tb)?\s*$/i.exec(limit);
  if (!m) throw new Error(`not a byte size: ${limit}`);
  const unit = { b: 0, kb: 1, mb: 2, gb: 3, tb: 4 }[(m[2] ?? 'b').toLowerCase() as 'b'];
  return Math.floor(Number(m[1]) * 1024 ** unit);
}

const enum S {
  Start,
  KeyOrEnd,
  Key,
  Colon,
  Value,
  AfterValue,
  ItemsOpen,
  ItemOrEnd,
  AfterItem,
  Done,
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const isSpace = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

/** Largest value of a field other than the streamed array (`metadata`, `name`…): a guard against a huge one. */
const MAX_FIELD_BYTES = 1024 * 1024;

/**
 * Push-style parser: `push(chunk)` returns the events completed by that chunk. Only the structure is scanned
 * byte by byte (strings are skipped with indexOf); each value is then parsed by JSON.parse, which also checks
 * its syntax. Works on bytes, so a multi-byte character split across chunks is reassembled before decoding.
 */
export class JsonBodyParser {
  private state = S.Start;
  private parts: Buffer[] = [];
  private partBytes = 0;
  /** Inside the value being captured: nesting depth, in a string, after a backslash, a bare literal. */
  private depth = 0;
  private inString = false;
  private escaped = false;
  private capturing = false;
  private literal = false;
  private key = '';
  private itemsSeen = false;
  private index = 0;
  private bomChecked = false;

  constructor(private readonly streamedField = 'items') {}

  push(chunk: Buffer): BodyEvent[] {
    const out: BodyEvent[] = [];
    let i = 0;
    if (!this.bomChecked && chunk.length) {
      this.bomChecked = true;
      if (chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) i = 3;
    }
    const n = chunk.length;
    while (i < n) {
      if (this.capturing) {
        const start = i;
        i = this.scanValue(chunk, i);
        if (this.capturing) {
          this.keep(chunk, start, n);
          break;
        }
        this.keep(chunk, start, i);
        this.finishValue(out);
        continue;
      }
      const b = chunk[i] as number;
      if (isSpace(b)) {
        i++;
        continue;
      }
      switch (this.state) {
        case S.Start:
          if (b !== 0x7b) this.fail('the request body must be a JSON object');
          this.state = S.KeyOrEnd;
          i++;
          break;
        case S.KeyOrEnd:
          if (b === 0x7d && !this.key) {
            this.state = S.Done;
            i++;
            break;
          }
          if (b !== QUOTE) this.fail(`expected a property name at byte ${i}`);
          this.begin(S.Key);
          break;
        case S.Colon:
          if (b !== 0x3a) this.fail(`expected ":" after "${this.key}"`);
          i++;
          if (this.key === this.streamedField) {
            if (this.itemsSeen) this.fail(`"${this.streamedField}" appears twice`);
            this.itemsSeen = true;
            this.state = S.ItemsOpen;
          } else this.state = S.Value;
          break;
        case S.Value:
          this.begin(S.Value);
          break;
        case S.AfterValue:
          if (b === 0x2c) this.state = S.KeyOrEnd;
          else if (b === 0x7d) this.state = S.Done;
          else this.fail(`expected "," or "}" after "${this.key}"`);
          this.key = this.state === S.KeyOrEnd ? '\u0000' : this.key; // a "," must be followed by a key, not "}"
          i++;
          break;
        case S.ItemsOpen:
          if (b === 0x5b) {
            out.push({ kind: 'itemsStart' });
            this.state = S.ItemOrEnd;
            i++;
          } else {
            // not an array: handed over like any other field, so that validation can say so
            this.state = S.Value;
          }
          break;
        case S.ItemOrEnd:
          if (b === 0x5d && this.index === 0) {
            out.push({ kind: 'itemsEnd' });
            this.state = S.AfterValue;
            i++;
            break;
          }
          this.begin(S.ItemOrEnd);
          break;
        case S.AfterItem:
          if (b === 0x2c) this.state = S.ItemOrEnd;
          else if (b === 0x5d) {
            out.push({ kind: 'itemsEnd' });
            this.state = S.AfterValue;
          } else this.fail(`expected "," or "]" after ${this.streamedField}[${this.index - 1}]`);
          i++;
          break;
        case S.Done:
          this.fail('unexpected data after the JSON object');
          break;
        case S.Key:
          break; // only while capturing
      }
    }
    return out;
  }

  /** Checks that the body ended where a JSON object ends. */
  end(): void {
    if (this.capturing && this.literal && this.state === S.Value) this.fail('unexpected end of the JSON body');
    if (this.state !== S.Done) this.fail('unexpected end of the JSON body');
  }

  private fail(message: string): never {
    throw new InvalidJsonBodyError(`Invalid JSON body: ${message}`);
  }

  /** Starts capturing the value at the current byte (its first byte is scanned by scanValue). */
  private begin(from: S): void {
    this.capturing = true;
    this.depth = 0;
    this.inString = false;
    this.escaped = false;
    this.literal = false;
    this.parts = [];
    this.partBytes = 0;
    this.state = from;
  }

  private keep(chunk: Buffer, from: number, to: number): void {
    if (to <= from) return;
    this.partBytes += to - from;
    if (this.state !== S.ItemOrEnd && this.partBytes > MAX_FIELD_BYTES) this.fail(`the value of "${this.key}" is larger than ${MAX_FIELD_BYTES} bytes`);
    this.parts.push(chunk.subarray(from, to));
  }

  /** Advances through the value being captured; returns where it stopped (its end, or the chunk's end). */
  private scanValue(c: Buffer, i: number): number {
    const n = c.length;
    if (this.depth === 0 && !this.inString && !this.literal) {
      // first byte of the value
      const b = c[i] as number;
      if (b === 0x7b || b === 0x5b) this.depth = 1;
      else if (b === QUOTE) this.inString = true;
      else this.literal = true;
      i++;
      if (this.inString && this.depth === 0) return this.scanTopString(c, i);
      if (this.literal) return this.scanLiteral(c, i);
    } else if (this.literal) return this.scanLiteral(c, i);
    else if (this.inString && this.depth === 0) return this.scanTopString(c, i);
    while (i < n) {
      if (this.inString) {
        i = this.skipString(c, i);
        if (this.inString) return n;
        continue;
      }
      const b = c[i] as number;
      i++;
      if (b === QUOTE) this.inString = true;
      else if (b === 0x7b || b === 0x5b) this.depth++;
      else if (b === 0x7d || b === 0x5d) {
        if (--this.depth === 0) {
          this.capturing = false;
          return i;
        }
      }
    }
    return n;
  }

  /** A string value at the top of the capture: done at its closing quote. */
  private scanTopString(c: Buffer, i: number): number {
    i = this.skipString(c, i);
    if (!this.inString) this.capturing = false;
    return i;
  }

  /** Skips string content; leaves inString false after the closing quote. */
  private skipString(c: Buffer, i: number): number {
    const n = c.length;
    if (this.escaped) {
      this.escaped = false;
      i++;
    }
    for (;;) {
      if (i >= n) return n;
      const q = c.indexOf(QUOTE, i);
      const bs = c.indexOf(BACKSLASH, i);
      if (bs !== -1 && (q === -1 || bs < q)) {
        if (bs + 1 >= n) {
          this.escaped = true;
          return n;
        }
        i = bs + 2;
        continue;
      }
      if (q === -1) return n;
      this.inString = false;
      return q + 1;
    }
  }

  /** true, false, null or a number: ends before a delimiter or whitespace. */
  private scanLiteral(c: Buffer, i: number): number {
    const n = c.length;
    while (i < n) {
      const b = c[i] as number;
      if (b === 0x2c || b === 0x7d || b === 0x5d || isSpace(b)) {
        this.capturing = false;
        return i;
      }
      i++;
    }
    return n;
  }

  private finishValue(out: BodyEvent[]): void {
    const text = this.parts.length === 1 ? (this.parts[0] as Buffer).toString('utf8') : Buffer.concat(this.parts, this.partBytes).toString('utf8');
    this.parts = [];
    this.partBytes = 0;
    let value: unknown;
    try {
      value = JSON.parse(text) as unknown;
    } catch (err) {
      const where = this.state === S.Key ? 'a property name' : this.state === S.ItemOrEnd ? `${this.streamedField}[${this.index}]` : `"${this.key}"`;
      this.fail(`${where}: ${(err as Error).message}`);
    }
    if (this.state === S.Key) {
      if (typeof value !== 'string') this.fail('expected a property name');
      this.key = value;
      this.state = S.Colon;
    } else if (this.state === S.ItemOrEnd) {
      out.push({ kind: 'item', value, raw: text });
      this.index++;
      this.state = S.AfterItem;
    } else {
      out.push({ kind: 'field', key: this.key, value });
      this.state = S.AfterValue;
    }
  }
}

/**
 * The events of a JSON body read from a byte stream, enforcing a size limit. The stream is read as fast as
 * the consumer takes events, so a slow database applies back-pressure to the client instead of filling memory.
 */
export async function* jsonBodyEvents(source: AsyncIterable<Buffer | string>, options: { limitBytes: number; streamedField?: string }): AsyncGenerator<BodyEvent> {
  const parser = new JsonBodyParser(options.streamedField);
  let total = 0;
  for await (const piece of source) {
    const chunk = typeof piece === 'string' ? Buffer.from(piece) : piece;
    total += chunk.length;
    if (total > options.limitBytes) throw new BodyTooLargeError(options.limitBytes);
    const events = parser.push(chunk);
    for (const e of events) yield e;
  }
  parser.end();
}
