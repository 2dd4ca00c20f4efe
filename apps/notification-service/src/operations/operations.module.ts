import { Module, OnModuleDestroy, OnModuleInit, Optional } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { AccessTokenVerifier, UserStatusSource } from '@tally/security';
import { ServiceRuntime } from '@tally/service-kit';
import type { NotificationServiceConfig } from '../config/notification.config';
import { DeadLetterController } from './dead-letter.controller';
import { DeadLetterRepository } from './dead-letter.repository';
import { DeadLetterService } from './dead-letter.service';
import { QueueDashboard, installQueueDashboard } from './queue-dashboard';

/**
 * Operations for platform admins: dead letters and their replay (`/api/v1/notification-deliveries`)
 * and the queue dashboard (Bull Board at `/admin/queues`, every service's queues, read-only).
 * Needs DELIVERY_QUEUE and EMAIL_QUEUE from the app module.
 */
@Module({ controllers: [DeadLetterController], providers: [DeadLetterService, DeadLetterRepository] })
export class OperationsModule implements OnModuleInit, OnModuleDestroy {
  private dashboard?: QueueDashboard;

  constructor(
    private readonly http: HttpAdapterHost,
    private readonly runtime: ServiceRuntime<NotificationServiceConfig>,
    private readonly verifier: AccessTokenVerifier,
    @Optional() private readonly userStatus?: UserStatusSource,
  ) {}

  async onModuleInit(): Promise<void> {
    const fastify = this.http.httpAdapter.getInstance<FastifyInstance>();
    this.dashboard = await installQueueDashboard(fastify, {
      redisUrl: this.runtime.config.REDIS_URL,
      prefix: this.runtime.config.QUEUE_PREFIX,
      verifier: this.verifier,
      ...(this.userStatus ? { userStatus: this.userStatus } : {}),
      logger: this.runtime.logger.child({ component: 'queue-dashboard' }),
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.dashboard?.close();
  }
}
