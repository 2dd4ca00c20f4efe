import { Controller, Headers, HttpCode, Module, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Public } from '@tally/security';
import { SmsStatusRepository } from './sms-status.repository';
import { SmsStatusService } from './sms-status.service';

/**
 * `POST /callbacks/sms/twilio`: Twilio's message status callbacks (public at the gateway; the
 * `X-Twilio-Signature` is the authentication). `204` for every genuine callback, including one about
 * a message we do not know (so Twilio stops), `403` for a bad signature, `400` for a malformed one.
 */
@Controller('callbacks/sms')
export class SmsStatusController {
  constructor(private readonly statuses: SmsStatusService) {}

  @Public()
  @Post('twilio')
  @HttpCode(204)
  async twilio(@Req() req: FastifyRequest, @Headers('x-twilio-signature') signature: string | undefined): Promise<void> {
    const q = req.url.indexOf('?');
    await this.statuses.receive({ query: q < 0 ? '' : req.url.slice(q + 1), contentType: req.headers['content-type'], body: req.body, signature });
  }
}

@Module({ controllers: [SmsStatusController], providers: [SmsStatusService, SmsStatusRepository] })
export class SmsStatusModule {}
