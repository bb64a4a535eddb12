import { EventEmitter } from 'node:events';
import { installProcessGuard, isStreamError } from './process-guard';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('isStreamError', () => {
  it('recognises zlib, brotli, socket and HTTP-parser errors', () => {
    expect(isStreamError(withCode('incorrect header check', 'Z_DATA_ERROR'))).toBe(true);
    expect(isStreamError(withCode('unexpected end of file', 'Z_BUF_ERROR'))).toBe(true);
    expect(isStreamError(withCode('Decompression failed', 'ERR__ERROR_FORMAT_PADDING_1'))).toBe(true);
    expect(isStreamError(withCode('aborted', 'ECONNRESET'))).toBe(true);
    expect(isStreamError(withCode('Premature close', 'ERR_STREAM_PREMATURE_CLOSE'))).toBe(true);
  });

  it('does not excuse the app’s own errors', () => {
    expect(isStreamError(new TypeError("Cannot read properties of undefined (reading 'length')"))).toBe(false);
    expect(isStreamError(withCode('duplicate key', '23505'))).toBe(false);
    expect(isStreamError('Z_DATA_ERROR')).toBe(false);
  });
});

describe('installProcessGuard', () => {
  function setup() {
    const proc = new EventEmitter();
    const logger = { error: jest.fn(), fatal: jest.fn() };
    const exit = jest.fn();
    const uninstall = installProcessGuard({ logger, exit, process: proc as never });
    return { proc, logger, exit, uninstall };
  }

  it('survives a request stream’s error, logging it with an errorId', () => {
    const { proc, logger, exit } = setup();
    proc.emit('uncaughtException', withCode('incorrect header check', 'Z_DATA_ERROR'));
    expect(exit).not.toHaveBeenCalled();
    expect(logger.error).toHaveBeenCalledWith(
      expect.objectContaining({ errorId: expect.stringMatching(/^[0-9a-f-]{36}$/) }),
      expect.stringContaining('the process carries on'),
    );
  });

  it('survives an unhandled rejection, logging it with an errorId', () => {
    const { proc, logger, exit } = setup();
    proc.emit('unhandledRejection', new Error('nobody awaited me'));
    expect(exit).not.toHaveBeenCalled();
    expect(logger.error.mock.calls[0][0]).toMatchObject({ errorId: expect.any(String), err: expect.objectContaining({ message: 'nobody awaited me' }) });
  });

  it('stops on any other uncaught exception, with the same errorId in the log and the exit call', () => {
    const { proc, logger, exit } = setup();
    const err = new TypeError('state unknown');
    proc.emit('uncaughtException', err);
    const logged = logger.fatal.mock.calls[0][0] as { errorId: string };
    expect(exit).toHaveBeenCalledWith(err, logged.errorId);
  });

  it('can be removed', () => {
    const { proc, uninstall } = setup();
    uninstall();
    expect(proc.listenerCount('uncaughtException')).toBe(0);
    expect(proc.listenerCount('unhandledRejection')).toBe(0);
  });
});
