/* Local Jest configuration for the LLM emulator (unit *.spec.ts and integration *.int-spec.ts). */
export default {
  displayName: 'llm-emulator',
  testEnvironment: 'node',
  rootDir: __dirname,
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript', decorators: true }, target: 'es2022' } }],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testMatch: ['**/*.spec.ts', '**/*.int-spec.ts'],
};
