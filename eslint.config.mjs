import nx from '@nx/eslint-plugin';
import prettierRecommended from 'eslint-plugin-prettier/recommended';
import reactHooks from 'eslint-plugin-react-hooks';

// What each layer may import, bottom up (docs/layers.md has the picture and the reasons). contracts, core and
// identity are the foundation every feature layer stands on; above it a layer sees only the layers listed for
// it, so that provider adapters, say, are reached only through the model router.
const FOUNDATION = ['layer:contracts', 'layer:core', 'layer:identity'];
const FEATURE_LAYERS = {
  'layer:contracts': [],
  'layer:core': ['layer:contracts'],
  'layer:identity': ['layer:contracts', 'layer:core'],
  'layer:providers': FOUNDATION,
  'layer:cost-tracking': [...FOUNDATION, 'layer:providers'],
  // The executor reserves budget before a call and books it after: model-router → cost-tracking (docs/layers.md).
  'layer:model-router': [...FOUNDATION, 'layer:providers', 'layer:cost-tracking'],
  'layer:analysis': [...FOUNDATION, 'layer:model-router', 'layer:cost-tracking'],
  // The modules to come: their libs take these tags.
  'layer:publishing': [...FOUNDATION, 'layer:analysis'],
  'layer:training': [...FOUNDATION, 'layer:analysis', 'layer:model-router'],
  'layer:metrics': [...FOUNDATION, 'layer:analysis', 'layer:cost-tracking', 'layer:model-router', 'layer:publishing', 'layer:training'],
};
const LAYERS = {
  ...FEATURE_LAYERS,
  // A standalone tool: the LLM emulator (its lib and its app) uses nothing else of Margin's.
  'layer:emulator': ['layer:emulator'],
  // The api and the worker compose the feature layers.
  'layer:app': Object.keys(FEATURE_LAYERS),
  // The testing kit may use anything; only test code may use it (see boundaries).
  'layer:testing': [...Object.keys(FEATURE_LAYERS), 'layer:emulator'],
};

/** `tests`: the rules for test code, which may also use the testing kit and the emulator; production code never does. */
function boundaries({ tests = false } = {}) {
  const testKit = tests ? ['layer:testing', 'layer:emulator'] : [];
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
      ...Object.entries(LAYERS).map(([sourceTag, allowed]) => ({
        sourceTag,
        onlyDependOnLibsWithTags: [...new Set([...allowed, ...testKit])],
      })),
    ],
  };
}

const TEST_FILES = ['**/*.spec.ts', '**/*.spec.tsx', '**/*.int-spec.ts', '**/*.e2e-spec.ts', '**/test/**/*.ts'];

export default [
  { ignores: ['**/dist', '**/node_modules', '**/.nx', '**/coverage', '**/tmp', '**/test-results', '.margin'] },
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  {
    files: ['**/*.ts', '**/*.tsx', '**/*.js', '**/*.mjs'],
    rules: {
      '@nx/enforce-module-boundaries': ['error', boundaries()],
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
    files: [...TEST_FILES, 'libs/testing/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  {
    files: TEST_FILES,
    rules: { '@nx/enforce-module-boundaries': ['error', boundaries({ tests: true })] },
  },
  // Formatting is Prettier's (.prettierrc.json), checked as a lint rule; it also turns off the style rules that would fight it.
  prettierRecommended,
];
