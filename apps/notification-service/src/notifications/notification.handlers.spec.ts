import type { EntityManager } from '@mikro-orm/postgresql';
import pino from 'pino';
import type { EventOf, SendEmailJob } from '@tally/contracts';
import type { HandlerContext } from '@tally/messaging';
import type { ServiceRuntime } from '@tally/service-kit';
import { NotificationHandlers } from './notification.handlers';
import type { Notification } from './notification.entity';
import type { NotificationService } from './notification.service';

const INVITATION_ID = '3f2a9c1e-7b4d-4e8a-9c0f-1d2e3f4a5b6c';
const INVITER_ID = '7c6b5a49-3827-4615-a4b3-c2d1e0f9a8b7';

function invitationCreated(email: string | null, phoneNumber: string | null): EventOf<'invitation.created'> {
  return {
    id: '2c3d4e5f-6071-4b8c-9d0e-1f2a3b4c5d6e', type: 'invitation.created', source: 'group-service',
    time: '2026-12-02T10:00:00.000Z', subject: INVITATION_ID, specversion: '1.0',
    data: {
      invitationId: INVITATION_ID, groupId: '5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b', groupName: 'Trip', invitedById: INVITER_ID,
      inviterName: 'Ann', email, phoneNumber, message: null, status: 'pending', expiresAt: '2026-12-09T10:00:00.000Z',
      acceptedById: null, byUserId: INVITER_ID, at: '2026-12-02T10:00:00.000Z',
    },
  };
}

describe('NotificationHandlers.onInvitationCreated', () => {
  function setup() {
    const enqueued: SendEmailJob[] = [];
    const afterCommit: (() => Promise<void>)[] = [];
    const ctx: HandlerContext = { em: {} as EntityManager, afterCommit: (fn) => void afterCommit.push(fn) };
    const texted: string[] = [];
    const service = {
      // The real service emails only invitations with an address (notification.service.spec.ts) and texts phone-only ones.
      recordGroupInvitation: async (_em: EntityManager, e: EventOf<'invitation.created'>) => (e.data.email ? ({ id: 'n-1' } as Notification) : null),
      recordPhoneInvitation: async (_ctx: HandlerContext, e: EventOf<'invitation.created'>) => {
        if (e.data.email || !e.data.phoneNumber) return null;
        texted.push(e.data.phoneNumber);
        return { id: 'n-2' } as Notification;
      },
    } as unknown as NotificationService;
    const runtime = { logger: pino({ level: 'silent' }) } as unknown as ServiceRuntime;
    const handlers = new NotificationHandlers(service, { enqueue: async (job) => void enqueued.push(job) }, runtime);
    return { handlers, ctx, enqueued, afterCommit, texted };
  }

  it('enqueues the invitation email only after the commit', async () => {
    const { handlers, ctx, enqueued, afterCommit } = setup();
    await handlers.onInvitationCreated(invitationCreated('bob@example.com', null), ctx);
    expect(enqueued).toEqual([]);
    expect(afterCommit).toHaveLength(1);
    await afterCommit[0]();
    expect(enqueued).toEqual([{ notificationId: 'n-1' }]);
  });

  it('texts a phone-only invitation instead of emailing it', async () => {
    const { handlers, ctx, enqueued, afterCommit, texted } = setup();
    await handlers.onInvitationCreated(invitationCreated(null, '+351912345678'), ctx);
    expect(texted).toEqual(['+351912345678']);
    expect(afterCommit).toEqual([]);
    expect(enqueued).toEqual([]);
  });

  it('does not text an invitation that has an email', async () => {
    const { handlers, ctx, texted } = setup();
    await handlers.onInvitationCreated(invitationCreated('bob@example.com', '+351912345678'), ctx);
    expect(texted).toEqual([]);
  });
});
