import { Controller, Get, HttpCode, Injectable, Param, PipeTransform, Post, Query, Req } from '@nestjs/common';
import type { RawBodyRequest } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AuthenticatedUser, CurrentUser, Public } from '@tally/security';
import { ListPaymentWebhooksQueryDto } from './dto/payment-webhook.dto';
import { WebhookErrors } from './payment-webhook.exceptions';
import { PaymentWebhookService, ReceivedWebhook } from './payment-webhook.service';
import type { PaymentWebhookView } from './payment-webhook.view';

/** A provider's name in the path: lower-case letters, digits and dashes; anything else is no endpoint (404). */
@Injectable()
export class ProviderNamePipe implements PipeTransform<unknown, string> {
  transform(value: unknown): string {
    if (typeof value !== 'string' || !/^[a-z0-9-]{1,30}$/.test(value)) throw WebhookErrors.providerNotFound();
    return value;
  }
}

@Injectable()
export class WebhookIdPipe implements PipeTransform<unknown, string> {
  transform(value: unknown): string {
    if (typeof value !== 'string' || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) throw WebhookErrors.invalidId();
    return value.toLowerCase();
  }
}

/**
 * Where providers post their events (through the gateway, which forwards the body byte for byte).
 * Public: the signature over the raw body is the authentication.
 */
@Controller('webhooks')
export class ProviderWebhookController {
  constructor(private readonly webhooks: PaymentWebhookService) {}

  /** 200 once the event is stored and queued (or was already); 400 for a bad signature; 404 for an unknown provider. */
  @Public()
  @Post(':provider')
  @HttpCode(200)
  receive(@Param('provider', ProviderNamePipe) provider: string, @Req() req: RawBodyRequest<FastifyRequest>): Promise<ReceivedWebhook> {
    return this.webhooks.receive(provider, req.rawBody, req.headers);
  }
}

/** Stored provider webhooks, for platform admins: what failed, and replaying it. */
@Controller('api/v1/payment-webhooks')
export class PaymentWebhookAdminController {
  constructor(private readonly webhooks: PaymentWebhookService) {}

  /** Newest first; `?status=failed` for those that need attention. */
  @Get()
  list(@CurrentUser() user: AuthenticatedUser, @Query() q: ListPaymentWebhooksQueryDto) {
    return this.webhooks.list(user, q);
  }

  /** One webhook with its stored body and what applying it did. */
  @Get(':id')
  get(@CurrentUser() user: AuthenticatedUser, @Param('id', WebhookIdPipe) id: string): Promise<PaymentWebhookView> {
    return this.webhooks.get(user, id);
  }

  /** Queues a failed webhook again (status back to received, all its attempts anew). */
  @Post(':id/replay')
  @HttpCode(202)
  replay(@CurrentUser() user: AuthenticatedUser, @Param('id', WebhookIdPipe) id: string): Promise<PaymentWebhookView> {
    return this.webhooks.replay(user, id);
  }
}
