// Pieces every server-side Jest tier shares: SWC for speed (with decorator metadata for Nest) and the
// tsconfig path aliases.
import type { Config } from 'jest';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const base = JSON.parse(readFileSync(path.join(__dirname, 'tsconfig.base.json'), 'utf8')) as {
  compilerOptions: { paths: Record<string, string[]> };
};

export const moduleNameMapper: Record<string, string> = Object.fromEntries(
  Object.entries(base.compilerOptions.paths).map(([alias, [target]]) => [`^${alias}$`, `<rootDir>/${target}`]),
);

export const swcTransform: Config['transform'] = {
  '^.+\\.(t|j)sx?$': [
    '@swc/jest',
    {
      jsc: {
        parser: { syntax: 'typescript', decorators: true, tsx: true },
        transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
        target: 'es2022',
        keepClassNames: true,
      },
      module: { type: 'commonjs' },
      sourceMaps: 'inline',
    },
  ],
};

export const serverProject: Config = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: swcTransform,
  moduleNameMapper,
  moduleFileExtensions: ['ts', 'tsx', 'js', 'json'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  clearMocks: true,
  setupFiles: ['<rootDir>/libs/testing/src/quiet-logs.ts'],
};
