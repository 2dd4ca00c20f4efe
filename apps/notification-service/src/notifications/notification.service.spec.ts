import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { EventOf, InvitationEventData } from '@tally/contracts';
import { Notification } from './notification.entity';
import { NotificationRepository } from './notification.repository';
import { DeliveryScheduler } from '../deliveries/delivery-scheduler';
import { NotificationService, toNotificationView } from './notification.service';

const TOKEN = 'secret_token_0123456789abcdefXYZ';

describe('NotificationService.recordEmailVerification', () => {
  it('keeps the token only in secret_token: not in the message, the action URL or the metadata', async () => {
    const inserted: Notification[] = [];
    const repo = { insert: async (_em: EntityManager, n: Notification) => void inserted.push(n) } as unknown as NotificationRepository;
    const service = new NotificationService({} as MikroORM, repo, {} as DeliveryScheduler);
    const n = await service.recordEmailVerification({} as EntityManager, {
      id: '1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d', type: 'email_verification.requested', source: 'auth-service',
      time: '2026-11-22T12:00:00.000Z', subject: '9a0b7c6d-1e2f-4a3b-8c4d-5e6f7a8b9c0d', specversion: '1.0',
      data: { userId: '9a0b7c6d-1e2f-4a3b-8c4d-5e6f7a8b9c0d', email: 'ann@example.com', token: TOKEN, expiresAt: '2026-11-23T12:00:00.000Z', firstName: 'Ann' },
    }, 'corr-1');

    expect(inserted).toEqual([n]);
    expect(n).toMatchObject({
      userId: '9a0b7c6d-1e2f-4a3b-8c4d-5e6f7a8b9c0d', notificationType: 'email_verification', recipient: 'ann@example.com',
      deliveryChannels: ['email'], deliveryStatus: 'pending', secretToken: TOKEN, priority: 'high',
    });
    expect(n.metadata).toMatchObject({ eventId: '1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d', correlationId: 'corr-1', firstName: 'Ann' });
    expect(JSON.stringify({ m: n.message, a: n.actionUrl, meta: n.metadata, t: n.title })).not.toContain(TOKEN);
  });
});

describe('toNotificationView', () => {
  it('never exposes the secret and masks a token in any link', () => {
    const n = Object.assign(new Notification(), {
      id: 'n1', userId: 'u1', notificationType: 'email_verification', title: 'Verify', priority: 'high',
      message: `Open http://localhost:8080/verify-email?token=${TOKEN}`, actionUrl: `/verify-email?token=${TOKEN}`,
      metadata: {}, deliveryChannels: ['email'], secretToken: TOKEN, createdAt: new Date('2026-11-22T12:00:00Z'),
    });
    const view = toNotificationView(n);
    expect(JSON.stringify(view)).not.toContain(TOKEN);
    expect(view.actionUrl).toBe('/verify-email?token=***');
    expect(view).not.toHaveProperty('secretToken');
  });
});

describe('NotificationService.recordGroupInvitation', () => {
  const INVITATION_ID = '3f2a9c1e-7b4d-4e8a-9c0f-1d2e3f4a5b6c';
  const INVITER_ID = '7c6b5a49-3827-4615-a4b3-c2d1e0f9a8b7';
  const ACCOUNT_ID = '9a0b7c6d-1e2f-4a3b-8c4d-5e6f7a8b9c0d';
  const event = (data: Partial<InvitationEventData> = {}): EventOf<'invitation.created'> => ({
    id: '2c3d4e5f-6071-4b8c-9d0e-1f2a3b4c5d6e', type: 'invitation.created', source: 'group-service',
    time: '2026-12-02T10:00:00.000Z', subject: INVITATION_ID, specversion: '1.0',
    data: {
      invitationId: INVITATION_ID, groupId: '5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b', groupName: 'Trip to Lisbon', invitedById: INVITER_ID,
      inviterName: 'Ann', email: 'Bob@Example.com', phoneNumber: null, message: 'Join us!', status: 'pending',
      expiresAt: '2026-12-09T10:00:00.000Z', acceptedById: null, byUserId: INVITER_ID, at: '2026-12-02T10:00:00.000Z', ...data,
    },
  });
  function setup(account: string | null) {
    const inserted: Notification[] = [];
    const lookedUp: string[] = [];
    const repo = {
      insert: async (_em: EntityManager, n: Notification) => void inserted.push(n),
      findVerifiedAccountByEmail: async (_em: EntityManager, email: string) => (lookedUp.push(email), account),
    } as unknown as NotificationRepository;
    return { service: new NotificationService({} as MikroORM, repo, {} as DeliveryScheduler), inserted, lookedUp };
  }

  it('records an email to the invited address, expiring with the invitation, for the account that has the address', async () => {
    const { service, inserted, lookedUp } = setup(ACCOUNT_ID);
    const n = await service.recordGroupInvitation({} as EntityManager, event(), 'corr-2');
    expect(inserted).toEqual([n]);
    expect(lookedUp).toEqual(['Bob@Example.com']);
    expect(n).toMatchObject({
      userId: ACCOUNT_ID, senderId: INVITER_ID, notificationType: 'group_invitation', recipient: 'Bob@Example.com',
      deliveryChannels: ['email', 'in_app'], sourceEventId: '2c3d4e5f-6071-4b8c-9d0e-1f2a3b4c5d6e', deliveryStatus: 'pending', relatedObjectType: 'group_invitation', relatedObjectId: INVITATION_ID,
      actionUrl: `/invitations/${INVITATION_ID}`, expiresAt: new Date('2026-12-09T10:00:00.000Z'), title: 'Ann invited you to Trip to Lisbon',
    });
    expect(n!.secretToken).toBeUndefined();
    expect(n!.metadata).toMatchObject({ eventId: '2c3d4e5f-6071-4b8c-9d0e-1f2a3b4c5d6e', correlationId: 'corr-2', invitationId: INVITATION_ID, groupName: 'Trip to Lisbon', inviterName: 'Ann', invitationMessage: 'Join us!' });
    expect(n!.message).toContain(`accept invitation ${INVITATION_ID}`);
  });

  it('records it for the address alone when no verified account has it', async () => {
    const { service, inserted } = setup(null);
    const n = await service.recordGroupInvitation({} as EntityManager, event({ inviterName: null }), undefined);
    expect(inserted).toEqual([n]);
    expect(n).toMatchObject({ userId: null, recipient: 'Bob@Example.com', deliveryChannels: ['email'], sourceEventId: null, title: 'Someone invited you to Trip to Lisbon' });
    expect(n!.metadata).not.toHaveProperty('correlationId');
  });

  it('leaves a phone-only invitation to recordPhoneInvitation (texted, see sms/send-sms.int-spec.ts)', async () => {
    const { service, inserted, lookedUp } = setup(ACCOUNT_ID);
    expect(await service.recordGroupInvitation({} as EntityManager, event({ email: null, phoneNumber: '+351912345678' }), undefined)).toBeNull();
    expect(inserted).toEqual([]);
    expect(lookedUp).toEqual([]);
  });

  it('keeps the title within its 200 characters', async () => {
    const { service } = setup(null);
    const n = await service.recordGroupInvitation({} as EntityManager, event({ inviterName: 'A'.repeat(150), groupName: 'G'.repeat(100) }), undefined);
    expect(n!.title).toHaveLength(200);
  });
});
