import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { AuthenticatedUser, CurrentUser } from '@tally/security';
import { CursorQueryDto } from '@tally/service-kit';
import { UuidParamPipe } from '../common/params';
import { CreateInvitationDto, ListInvitationsQueryDto } from './dto/invitation.dto';
import { InvitationService } from './invitation.service';

/** A group's invitations, for its admins. */
@Controller('api/v1/groups/:id/invitations')
export class GroupInvitationController {
  constructor(private readonly invitations: InvitationService) {}

  @Post()
  create(@CurrentUser() user: AuthenticatedUser, @Param('id', UuidParamPipe) id: string, @Body() dto: CreateInvitationDto) {
    return this.invitations.create(user.id, id, dto);
  }

  @Get()
  list(@CurrentUser() user: AuthenticatedUser, @Param('id', UuidParamPipe) id: string, @Query() q: ListInvitationsQueryDto) {
    return this.invitations.listForGroup(user.id, id, q);
  }

  /** Revokes a pending invitation. */
  @Delete(':invitationId')
  @HttpCode(200)
  revoke(@CurrentUser() user: AuthenticatedUser, @Param('id', UuidParamPipe) id: string, @Param('invitationId', UuidParamPipe) invitationId: string) {
    return this.invitations.revoke(user.id, id, invitationId);
  }
}

/** Invitations the caller received (sent to their verified email address). */
@Controller('api/v1/invitations')
export class ReceivedInvitationController {
  constructor(private readonly invitations: InvitationService) {}

  @Get()
  list(@CurrentUser() user: AuthenticatedUser, @Query() q: CursorQueryDto) {
    return this.invitations.listMine(user.id, q);
  }

  @Get(':id')
  get(@CurrentUser() user: AuthenticatedUser, @Param('id', UuidParamPipe) id: string) {
    return this.invitations.getMine(user.id, id);
  }

  @Post(':id/accept')
  @HttpCode(200)
  accept(@CurrentUser() user: AuthenticatedUser, @Param('id', UuidParamPipe) id: string) {
    return this.invitations.accept(user.id, id);
  }

  @Post(':id/decline')
  @HttpCode(200)
  decline(@CurrentUser() user: AuthenticatedUser, @Param('id', UuidParamPipe) id: string) {
    return this.invitations.decline(user.id, id);
  }
}
