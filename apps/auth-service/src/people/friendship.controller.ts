import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { AuthenticatedUser, CurrentUser } from '@tally/security';
import { CreateFriendshipDto, ListFriendshipsQueryDto } from './dto/friendship.dto';
import { FriendshipService } from './friendship.service';
import { UuidParamPipe } from './params';

@Controller('api/v1/friendships')
export class FriendshipController {
  constructor(private readonly friendships: FriendshipService) {}

  @Post()
  request(@CurrentUser() user: AuthenticatedUser, @Body() dto: CreateFriendshipDto) {
    return this.friendships.request(user.id, dto);
  }

  @Get()
  list(@CurrentUser() user: AuthenticatedUser, @Query() q: ListFriendshipsQueryDto) {
    return this.friendships.list(user.id, q);
  }

  @Post(':id/accept')
  @HttpCode(200)
  accept(@CurrentUser() user: AuthenticatedUser, @Param('id', UuidParamPipe) id: string) {
    return this.friendships.accept(user.id, id);
  }

  @Post(':id/decline')
  @HttpCode(200)
  decline(@CurrentUser() user: AuthenticatedUser, @Param('id', UuidParamPipe) id: string) {
    return this.friendships.decline(user.id, id);
  }

  @Post(':id/block')
  @HttpCode(200)
  block(@CurrentUser() user: AuthenticatedUser, @Param('id', UuidParamPipe) id: string) {
    return this.friendships.block(user.id, id);
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@CurrentUser() user: AuthenticatedUser, @Param('id', UuidParamPipe) id: string): Promise<void> {
    await this.friendships.remove(user.id, id);
  }
}
