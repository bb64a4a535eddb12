import { DynamicModule, Global, Module } from '@nestjs/common';
import { SecretBox } from '../crypto/secret-box';
import { MemoryCompactor } from '../lifecycle/memory-compactor';
import { OutboundPolicy } from '../net/outbound-policy';
import { AppConfig, loadConfig } from './app-config';

@Global()
@Module({})
export class ConfigModule {
  /** Pass a config to use it as is (tests); otherwise the environment is validated here, once. */
  static forRoot(config?: AppConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [
        { provide: AppConfig, useFactory: () => config ?? loadConfig() },
        SecretBox,
        { provide: MemoryCompactor, useFactory: () => new MemoryCompactor() },
        { provide: OutboundPolicy, inject: [AppConfig], useFactory: (c: AppConfig) => new OutboundPolicy(c.outbound) },
      ],
      exports: [AppConfig, SecretBox, OutboundPolicy, MemoryCompactor],
    };
  }
}
