import { Queue } from 'bullmq';
import { JobName, Queues } from '@tally/contracts';
import { IdentityProjectionRepository } from '@tally/identity';
import { OutboxWriter } from '@tally/messaging';
import { runWorker } from '@tally/service-kit';
import { ActivityRepository } from './activities/activity.repository';
import { ActivityService } from './activities/activity.service';
import { GroupWorkerConfig } from './config/group-worker.config';
import { entities } from './entities';
import { GroupRepository } from './groups/group.repository';
import { ExpireInvitationsJobProcessor } from './invitations/expire-invitations.job';
import { InvitationExpiry } from './invitations/invitation-expiry';
import { InvitationRepository } from './invitations/invitation.repository';
import { migrations } from './migrations';

/**
 * The `group-worker` deployable: expires invitations on a schedule. It upserts a BullMQ job scheduler
 * (one per queue, whatever the number of replicas) that adds an `expire-invitations` job every
 * INVITATION_EXPIRY_EVERY_SECONDS. The events it writes go through group-service's outbox table; the
 * API process relays them to Kafka.
 */
runWorker({
  service: 'group-worker',
  config: GroupWorkerConfig,
  entities,
  migrations,
  jobs: async ({ config, logger, orm, onShutdown }) => {
    const queue = new Queue(Queues.groupInvitations, { connection: { url: config.REDIS_URL }, prefix: config.QUEUE_PREFIX });
    await queue.upsertJobScheduler('expire-invitations', { every: config.INVITATION_EXPIRY_EVERY_SECONDS * 1000 }, {
      name: JobName.ExpireInvitations,
      data: {},
      opts: { attempts: 3, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: 100, removeOnFail: 1000 },
    });
    onShutdown('scheduler queue', () => queue.close());
    const expiry = new InvitationExpiry({
      orm,
      invitations: new InvitationRepository(),
      groups: new GroupRepository(),
      activity: new ActivityService(orm, new ActivityRepository()),
      users: new IdentityProjectionRepository({ keepEmail: true }),
      outbox: new OutboxWriter('group-service'),
    });
    return [new ExpireInvitationsJobProcessor(expiry, logger.child({ component: 'invitation-expiry' }))];
  },
});
