import { Injectable } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/postgresql';
import { freshEm } from '@tally/persistence';
import { Page } from '@tally/service-kit';
import { GroupRepository } from './group.repository';

export interface GroupView {
  id: string;
  name: string;
  description: string | null;
  groupType: string;
  isPrivate: boolean;
  memberCount: number;
  totalExpenses: string;
  createdAt: string;
}

@Injectable()
export class GroupService {
  constructor(
    private readonly orm: MikroORM,
    private readonly groups: GroupRepository,
  ) {}

  async listForUser(userId: string, limit: number, offset: number): Promise<Page<GroupView>> {
    const [rows, total] = await this.groups.findForMember(freshEm(this.orm), userId, limit, offset);
    return {
      items: rows.map((g) => ({
        id: g.id, name: g.name, description: g.description ?? null, groupType: g.groupType, isPrivate: g.isPrivate,
        memberCount: g.memberCount, totalExpenses: g.totalExpenses, createdAt: g.createdAt.toISOString(),
      })),
      total, limit, offset,
    };
  }
}
