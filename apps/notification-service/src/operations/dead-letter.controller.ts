import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { AuthenticatedUser, CurrentUser } from '@tally/security';
import { DeadLetterService } from './dead-letter.service';
import { ListAccountEmailsQueryDto, ListDeliveriesQueryDto } from './dto/dead-letter.dto';
import { DeliveryIdPipe } from './operations.params';

/**
 * Deliveries for platform admins (everyone else: 403 ADMIN_REQUIRED): the dead letters of planned
 * deliveries and of account emails, and their replay.
 */
@Controller('api/v1/notification-deliveries')
export class DeadLetterController {
  constructor(private readonly deadLetters: DeadLetterService) {}

  /** Newest change first, cursor pages; `?status=` (default `failed`: the dead letters) and `?channel=`. */
  @Get()
  list(@CurrentUser() user: AuthenticatedUser, @Query() q: ListDeliveriesQueryDto) {
    return this.deadLetters.listDeliveries(user, q);
  }

  /** Account emails (verification, password reset…), `?status=` (default `failed`). */
  @Get('account-emails')
  listAccountEmails(@CurrentUser() user: AuthenticatedUser, @Query() q: ListAccountEmailsQueryDto) {
    return this.deadLetters.listAccountEmails(user, q);
  }

  /** A failed account email sent again; 409 unless it failed, or once its link has expired. */
  @Post('account-emails/:id/replay')
  @HttpCode(200)
  replayAccountEmail(@CurrentUser() user: AuthenticatedUser, @Param('id', DeliveryIdPipe) id: string) {
    return this.deadLetters.replayAccountEmail(user, id);
  }

  @Get(':id')
  get(@CurrentUser() user: AuthenticatedUser, @Param('id', DeliveryIdPipe) id: string) {
    return this.deadLetters.getDelivery(user, id);
  }

  /** A failed delivery back to `scheduled` (attempts kept) and its job enqueued; 409 unless it failed. */
  @Post(':id/replay')
  @HttpCode(200)
  replay(@CurrentUser() user: AuthenticatedUser, @Param('id', DeliveryIdPipe) id: string) {
    return this.deadLetters.replayDelivery(user, id);
  }
}
