import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AppConfig, Clock } from '@margin/core';
import { AppModule } from './app.module';
import { configureApp } from './configure-app';

export async function createApp(config?: AppConfig, options: { clock?: Clock } = {}): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, options), {
    bodyParser: false,
    bufferLogs: true,
  });
  return configureApp(app);
}
