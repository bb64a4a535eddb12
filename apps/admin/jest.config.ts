import type { Config } from 'jest';

const config: Config = {
  displayName: 'admin',
  rootDir: '.',
  testEnvironment: 'jsdom',
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/src/**/*.spec.tsx'],
  transform: {
    '^.+\\.(t|j)sx?$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', tsx: true },
          transform: { react: { runtime: 'automatic' } },
          target: 'es2022',
        },
        module: { type: 'commonjs' },
      },
    ],
  },
  moduleFileExtensions: ['ts', 'tsx', 'js', 'jsx', 'json'],
  moduleNameMapper: {
    '^@margin/contracts$': '<rootDir>/../../libs/contracts/src/index.ts',
    '\\.css$': '<rootDir>/src/testing/style-stub.ts',
    // No real sockets in jsdom: tests drive the progress feed through a fake server.
    '^socket\\.io-client$': '<rootDir>/src/testing/fakeSocketIo.ts',
  },
  setupFilesAfterEnv: ['<rootDir>/src/testing/setup-tests.ts'],
  clearMocks: true,
  restoreMocks: true,
};

export default config;
