import { Module } from '@nestjs/common';

/** The gateway's routes are Fastify proxy routes (proxy/proxy.ts); Nest gives it the shared shape and error handling. */
@Module({})
export class AppModule {}
