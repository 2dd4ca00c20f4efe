import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AuthenticatedUser, CurrentUser } from '@tally/security';
import { IdempotencyKey, IdempotencyRequestInfo, sendIdempotent } from '../idempotency/idempotency-key.decorator';
import { CreateSettlementDto, ListSettlementsQueryDto } from './dto/settlement.dto';
import { SettlementIdPipe } from './settlement.params';
import { SettlementService } from './settlement.service';

@Controller('api/v1/settlements')
export class SettlementController {
  constructor(private readonly settlements: SettlementService) {}

  /** Records a settlement the caller pays or receives (201); the same Idempotency-Key and body again answer the same (Idempotent-Replayed: true). */
  @Post()
  @ApiHeader({ name: 'Idempotency-Key', required: true, description: '1–255 printable ASCII characters (e.g. a UUID); reuse it to retry safely for 24 hours' })
  async create(
    @CurrentUser() user: AuthenticatedUser,
    @Body() dto: CreateSettlementDto,
    @IdempotencyKey() idem: IdempotencyRequestInfo,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return sendIdempotent(reply, await this.settlements.create(user.id, dto, idem));
  }

  /** The caller's settlements (as payer or payee), newest first; with ?groupId= a group's admins see all of the group's. */
  @Get()
  list(@CurrentUser() user: AuthenticatedUser, @Query() q: ListSettlementsQueryDto) {
    return this.settlements.list(user.id, q);
  }

  @Get(':id')
  get(@CurrentUser() user: AuthenticatedUser, @Param('id', SettlementIdPipe) id: string) {
    return this.settlements.get(user.id, id);
  }

  /** The caller's confirmation; the second party's completes it. */
  @Post(':id/confirm')
  @HttpCode(200)
  confirm(@CurrentUser() user: AuthenticatedUser, @Param('id', SettlementIdPipe) id: string) {
    return this.settlements.confirm(user.id, id);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  cancel(@CurrentUser() user: AuthenticatedUser, @Param('id', SettlementIdPipe) id: string) {
    return this.settlements.cancel(user.id, id);
  }
}
