// Integration tier, once per run: a dedicated test database, created if missing and migrated to the latest
// schema from scratch, so that every run starts from what the migrations alone produce.
import path from 'node:path';
import { register } from 'tsconfig-paths';
import { compilerOptions } from '../../../tsconfig.base.json';

export default async function globalSetup(): Promise<void> {
  // Global setup runs outside Jest's module registry: resolve the @margin/* aliases ourselves.
  const unregister = register({ baseUrl: path.resolve(__dirname, '../../..'), paths: compilerOptions.paths });
  try {
    const { prepareTestDatabase } = await import('./prepare-test-database');
    await prepareTestDatabase();
  } finally {
    unregister();
  }
}
