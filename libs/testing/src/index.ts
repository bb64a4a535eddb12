export * from './test-env';
export * from './harness';
export * from './factories';
export * from './strict-mock';
export * from './emulator';
export * from './route-fuzzer';
