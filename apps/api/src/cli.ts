// Operator commands run by `npm run migrate` and `npm start`: apply migrations, ensure the first owner.
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClockModule, ConfigModule, ConfigValidationError, DatabaseModule, loadConfig, postgresOptions, QueueModule, RedisModule } from '@margin/core';
import { IdentityCoreModule, OwnerBootstrapService } from '@margin/identity';
import { DataSource } from 'typeorm';
import { MIGRATIONS } from './migrations';

@Module({
  imports: [ConfigModule.forRoot(), ClockModule.forRoot(), RedisModule, DatabaseModule.forRoot(), QueueModule.forRoot(), IdentityCoreModule],
})
class CliModule {}

function out(result: object): void {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

async function migrate(): Promise<void> {
  const config = loadConfig();
  // a migration may rewrite a big table: no statement or idle-in-transaction limit for it
  const dataSource = new DataSource({
    ...postgresOptions(config.databaseUrl, { ...config.database, statementTimeoutMs: 0, idleInTransactionTimeoutMs: 0 }),
    migrations: MIGRATIONS,
    logging: ['error'],
  });
  await dataSource.initialize();
  try {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    out({ command: 'migrate', applied: applied.map((m) => m.name) });
  } finally {
    await dataSource.destroy();
  }
}

async function ensureOwner(): Promise<void> {
  const config = loadConfig();
  const app = await NestFactory.createApplicationContext(CliModule, { logger: ['error', 'warn'] });
  try {
    const result = await app.get(OwnerBootstrapService).ensureOwner(config.adminEmail, config.adminPassword);
    out({ command: 'ensure-owner', ...result });
  } finally {
    await app.close();
  }
}

const commands: Record<string, () => Promise<void>> = { migrate, 'ensure-owner': ensureOwner };

async function main(): Promise<void> {
  const name = process.argv[2] ?? '';
  const command = commands[name];
  if (!command) {
    process.stderr.write(`usage: cli <${Object.keys(commands).join('|')}>\n`);
    process.exit(64);
  }
  await command();
}

main().catch((err: Error) => {
  process.stderr.write(err instanceof ConfigValidationError ? `${err.message}\n` : `${err.stack ?? err.message}\n`);
  process.exit(err instanceof ConfigValidationError ? 78 : 1);
});
