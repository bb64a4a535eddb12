import nx from '@nx/eslint-plugin';
import reactHooks from 'eslint-plugin-react-hooks';

function boundaries() {
  return {
    enforceBuildableLibDependency: false,
    allow: [],
    depConstraints: [
      { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
      { sourceTag: 'scope:api', onlyDependOnLibsWithTags: ['scope:shared', 'scope:api'] },
      { sourceTag: 'scope:worker', onlyDependOnLibsWithTags: ['scope:shared', 'scope:worker'] },
      // The SPA talks to the API over HTTP: the only code it shares is the contracts.
      { sourceTag: 'scope:admin', onlyDependOnLibsWithTags: ['scope:admin', 'kind:contracts'] },
      { sourceTag: 'scope:e2e', onlyDependOnLibsWithTags: ['scope:shared', 'scope:e2e'] },
      { sourceTag: 'type:feature', notDependOnLibsWithTags: ['type:app'] },
      { sourceTag: 'type:util', notDependOnLibsWithTags: ['type:app', 'type:feature'] },
    ],
  };
}

export default [
  { ignores: ['**/dist', '**/node_modules', '**/.nx', '**/coverage', '**/tmp', '**/test-results', '.margin'] },
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  {
    files: ['**/*.ts', '**/*.tsx', '**/*.js', '**/*.mjs'],
    rules: {
      '@nx/enforce-module-boundaries': ['error', boundaries()],
      // Production code never imports the testing kit (Nx's graph counts spec files, so this is checked here).
      'no-restricted-imports': ['error', { paths: [{ name: '@margin/testing', message: 'The testing kit is for tests only.' }] }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-console': 'error',
    },
  },
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['apps/admin/**/*.tsx', 'apps/admin/**/*.ts'],
    plugins: { 'react-hooks': reactHooks },
    rules: { 'react-hooks/rules-of-hooks': 'error', 'react-hooks/exhaustive-deps': 'error' },
  },
  {
    // Command-line scripts talk to the terminal directly.
    files: ['scripts/**/*.mjs', 'apps/llm-emulator/src/main.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['**/*.spec.ts', '**/*.spec.tsx', '**/*.int-spec.ts', '**/*.e2e-spec.ts', '**/test/**/*.ts', 'libs/testing/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-restricted-imports': 'off',
    },
  },
];
