import '@testing-library/jest-dom';
import { TextDecoder, TextEncoder } from 'node:util';
import { fakeProgressServer } from './fakeSocketIo';

// jsdom lacks these and react-router needs them at import time.
if (typeof globalThis.TextEncoder === 'undefined') {
  Object.assign(globalThis, { TextEncoder, TextDecoder });
}

afterEach(() => {
  window.localStorage.clear();
  fakeProgressServer.reset();
});
