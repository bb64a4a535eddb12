// Jest setup for server tiers: Nest's console logger would bury test output; errors still surface as failures.
import { Logger } from '@nestjs/common';

Logger.overrideLogger(process.env.TEST_LOG_LEVEL ? ['error', 'warn', 'log'] : false);
