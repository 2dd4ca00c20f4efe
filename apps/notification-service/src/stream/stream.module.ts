import { Module } from '@nestjs/common';
import { StreamController } from './stream.controller';
import { NotificationStreamHub } from './stream.hub';
import { NotificationStreamReader } from './stream.reader';

/** The live stream of a user's new notifications (Server-Sent Events), fed by PostgreSQL LISTEN/NOTIFY. */
@Module({ controllers: [StreamController], providers: [NotificationStreamHub, NotificationStreamReader] })
export class StreamModule {}
