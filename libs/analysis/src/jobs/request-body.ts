// A request body read by the route itself (a streamed job submission), with what body-parser would do for it:
// decompression, and clear client errors for a bad encoding, a body cut short, or one that arrives too slowly.
import { DomainError } from '@margin/core';
import type { Request } from 'express';
import { PassThrough, type Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';

export class UnsupportedEncodingError extends DomainError {
  readonly code = 'unsupported_encoding';
  readonly httpStatus = 415;
}

export class BadEncodingError extends DomainError {
  readonly code = 'invalid_encoding';
  readonly httpStatus = 400;
}

export class BodyAbortedError extends DomainError {
  readonly code = 'body_aborted';
  readonly httpStatus = 400;
  constructor() {
    super('The request body ended before it was complete (the connection was closed)');
  }
}

export class BodyTimeoutError extends DomainError {
  readonly code = 'request_timeout';
  readonly httpStatus = 408;
  constructor(seconds: number) {
    super(`The request body did not arrive within ${seconds} seconds`);
  }
}

const DECODERS: Record<string, (() => Transform) | undefined> = {
  identity: () => new PassThrough(),
  gzip: createGunzip,
  'x-gzip': createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
};

/**
 * The body's bytes, inflated when it came compressed. The request itself is never destroyed here (that would
 * close the socket before the error could be answered): on a timeout the reader stops and the caller answers
 * 408 and closes the connection.
 */
export async function* requestBody(req: Request, timeoutSeconds: number): AsyncGenerator<Buffer> {
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  const decoder = DECODERS[encoding];
  if (!decoder) throw new UnsupportedEncodingError(`Unsupported Content-Encoding "${encoding}" (use gzip, deflate, br or identity)`);
  const out = decoder();
  // every error reaches the reader below through the iteration; this keeps a late one from being unhandled
  out.on('error', () => undefined);
  const aborted = () => {
    if (!req.complete) out.destroy(new BodyAbortedError());
  };
  req.once('aborted', aborted);
  req.once('error', aborted);
  req.once('close', aborted);
  const timer = setTimeout(() => {
    req.unpipe(out);
    out.destroy(new BodyTimeoutError(timeoutSeconds));
  }, timeoutSeconds * 1000);
  timer.unref();
  req.pipe(out);
  try {
    for await (const chunk of out) yield chunk as Buffer;
  } catch (err) {
    if (err instanceof DomainError) throw err;
    const { code, errno } = err as { code?: unknown; errno?: unknown };
    // zlib's errors (gzip/deflate: Z_DATA_ERROR, Z_BUF_ERROR…; brotli: ERR__ERROR_…) carry a numeric errno
    if (typeof code === 'string' && typeof errno === 'number' && (code.startsWith('Z_') || code.startsWith('ERR__')))
      throw new BadEncodingError(`The body is not valid ${encoding} data (${(err as Error).message})`);
    if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE') throw new BodyAbortedError();
    throw err;
  } finally {
    clearTimeout(timer);
    req.off('aborted', aborted);
    req.off('error', aborted);
    req.off('close', aborted);
    req.unpipe(out);
    out.destroy();
  }
}
