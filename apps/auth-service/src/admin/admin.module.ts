import { Module } from '@nestjs/common';

/** Admin routes over users and system configurations. */
@Module({})
export class AdminModule {}
