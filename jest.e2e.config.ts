// End-to-end tier: the whole stack from the outside, started the way `npm start` starts it.
import type { Config } from 'jest';
import { serverProject } from './jest.shared';

const config: Config = {
  ...serverProject,
  displayName: 'e2e',
  testMatch: ['<rootDir>/e2e/**/*.e2e-spec.ts'],
  maxWorkers: 1,
  testTimeout: 120_000,
};

export default config;
