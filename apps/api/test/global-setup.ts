// Integration tier, once per run: a dedicated test database, created if missing and migrated to the latest
// schema from scratch, so that every run starts from what the migrations alone produce.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { register } from 'tsconfig-paths';

export default async function globalSetup(): Promise<void> {
  // Global setup runs outside Jest's module registry: resolve the @margin/* aliases ourselves.
  const root = path.resolve(__dirname, '../../..');
  const { compilerOptions } = JSON.parse(readFileSync(path.join(root, 'tsconfig.base.json'), 'utf8'));
  const unregister = register({ baseUrl: root, paths: compilerOptions.paths });
  try {
    const { prepareTestDatabase } = await import('./prepare-test-database');
    await prepareTestDatabase();
  } finally {
    unregister();
  }
}
