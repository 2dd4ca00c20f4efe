import { Controller, Get, HttpStatus, Injectable, Param, PipeTransform } from '@nestjs/common';
import { AuthenticatedUser, CurrentUser } from '@tally/security';
import { DomainException } from '@tally/service-kit';
import { CategoryService } from './category.service';

@Injectable()
class UuidPipe implements PipeTransform<unknown, string> {
  transform(value: unknown): string {
    if (typeof value !== 'string' || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) {
      throw new DomainException('INVALID_ID', 'id must be a UUID.', HttpStatus.BAD_REQUEST);
    }
    return value.toLowerCase();
  }
}

@Controller('api/v1/categories')
export class CategoryController {
  constructor(private readonly categories: CategoryService) {}

  @Get()
  list(@CurrentUser() user: AuthenticatedUser) {
    return this.categories.list(user.id);
  }

  @Get(':id')
  get(@CurrentUser() user: AuthenticatedUser, @Param('id', UuidPipe) id: string) {
    return this.categories.get(user.id, id);
  }
}
