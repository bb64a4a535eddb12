// Unit tier: fast, no I/O. `*.spec.ts` beside the code, plus the admin SPA's component tests.
import type { Config } from 'jest';
import { serverProject } from './jest.shared';

const config: Config = {
  projects: [
    {
      ...serverProject,
      displayName: 'unit',
      testMatch: ['<rootDir>/apps/**/*.spec.ts', '<rootDir>/libs/**/*.spec.ts'],
      testPathIgnorePatterns: ['/node_modules/', '/dist/', '<rootDir>/apps/admin/'],
    },
    '<rootDir>/apps/admin/jest.config.ts',
  ],
};

export default config;
