import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { Notification } from './notification.entity';
import { NotificationRepository } from './notification.repository';
import { NotificationService, toNotificationView } from './notification.service';

const TOKEN = 'secret_token_0123456789abcdefXYZ';

describe('NotificationService.recordEmailVerification', () => {
  it('keeps the token only in secret_token: not in the message, the action URL or the metadata', async () => {
    const inserted: Notification[] = [];
    const repo = { insert: async (_em: EntityManager, n: Notification) => void inserted.push(n) } as unknown as NotificationRepository;
    const service = new NotificationService({} as MikroORM, repo);
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
