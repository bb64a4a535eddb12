// Integration tier: real Postgres (a dedicated test database) and Redis, the LLM emulator on a random port.
import type { Config } from 'jest';
import { serverProject } from './jest.shared';

const config: Config = {
  ...serverProject,
  displayName: 'integration',
  testMatch: ['<rootDir>/apps/**/*.int-spec.ts', '<rootDir>/libs/**/*.int-spec.ts'],
  globalSetup: '<rootDir>/apps/api/test/global-setup.ts',
  maxWorkers: 1,
  testTimeout: 30_000,
};

export default config;
