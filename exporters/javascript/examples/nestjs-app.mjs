// NestJS with one log per request: `node examples/nestjs-app.mjs`
// (npm install @nestjs/common @nestjs/core @nestjs/platform-express reflect-metadata rxjs).
// In a TypeScript Nest app: app.useGlobalInterceptors(new LoglensInterceptor(collector)).
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { LogCollector } from 'loglens-exporter';
import { LoglensInterceptor } from 'loglens-exporter/nestjs';

const collector = new LogCollector({ serverUrl: process.env.LOGLENS_URL ?? 'http://localhost:4318', service: 'accounts-api' });

class HealthController {
  health() {
    return { ok: true };
  }
}
// Decorators applied by hand, as this example is plain JavaScript.
Controller()(HealthController);
Get('health')(HealthController.prototype, 'health', Object.getOwnPropertyDescriptor(HealthController.prototype, 'health'));
class AppModule {}
Module({ controllers: [HealthController] })(AppModule);

const app = await NestFactory.create(AppModule);
app.useGlobalInterceptors(new LoglensInterceptor(collector));
await app.listen(3002);
console.log('http://localhost:3002/health');
