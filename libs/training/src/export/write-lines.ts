import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Writes lines to `out` only as fast as it takes them (each page of rows is read when the last is sent, so a
 * slow client holds no database connection). A client that hangs up only stops the reading.
 */
export async function writeLines(lines: AsyncIterable<string>, out: NodeJS.WritableStream): Promise<void> {
  try {
    await pipeline(Readable.from(lines), out);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') return;
    throw err;
  }
}

export const JSONL_CONTENT_TYPE = 'application/x-ndjson; charset=utf-8';
