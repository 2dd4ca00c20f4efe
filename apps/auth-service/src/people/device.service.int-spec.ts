/**
 * DeviceService's push endpoint allowlist (PUSH_ENDPOINT_HOSTS, an SSRF guard) against real
 * PostgreSQL (auth's migrations) and the real outbox: a web device naming a host that is not a push
 * service is refused with 400 PUSH_ENDPOINT_NOT_ALLOWED and leaves nothing behind; the browsers' push
 * services are taken; plain http only to a host the setting names with http://.
 */
import { createECDH, randomBytes, randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { MikroORM } from '@mikro-orm/postgresql';
import { OutboxWriter } from '@tally/messaging';
import { initOrm, runMigrations } from '@tally/persistence';
import { createTestDatabase, dropTestDatabase, infraFromEnv } from '@tally/testing';
import { migrations } from '../migrations';
import { entities } from '../runtime';
import { DeviceRepository } from './device.repository';
import { DeviceService } from './device.service';
import { canonicalWebToken } from './dto/device.dto';

const infra = infraFromEnv();
const dbName = `it_auth_devices_${randomBytes(4).toString('hex')}`;
let orm: MikroORM;
let pool: Pool;

beforeAll(async () => {
  const url = await createTestDatabase(infra.databaseUrl, dbName);
  orm = await initOrm({ databaseUrl: url, entities, migrations, poolMax: 2 });
  await runMigrations(orm);
  pool = new Pool({ connectionString: url, max: 2 });
});

afterAll(async () => {
  await orm?.close(true);
  await pool?.end();
  await dropTestDatabase(infra.databaseUrl, dbName);
});

const service = (hosts?: string) => new DeviceService(orm, new DeviceRepository(), new OutboxWriter('auth-service'), { PUSH_ENDPOINT_HOSTS: hosts });

async function user(): Promise<string> {
  const id = randomUUID();
  await pool.query(`INSERT INTO users (id, username, email, password, is_verified) VALUES ($1, $2, $3, 'x', TRUE)`, [id, `u_${id.slice(0, 8)}`, `${id}@example.com`]);
  return id;
}

/** A browser's subscription to `endpoint`, as the DTO leaves it (canonical JSON). */
function web(endpoint: string) {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const keys = { p256dh: ecdh.getPublicKey().toString('base64url'), auth: randomBytes(16).toString('base64url') };
  return { deviceType: 'web' as const, deviceName: 'Browser', deviceToken: canonicalWebToken(JSON.stringify({ endpoint, expirationTime: null, keys })) as string };
}

const stored = async (userId: string) => (await pool.query(`SELECT device_type FROM user_devices WHERE user_id = $1`, [userId])).rows;
const events = async (userId: string) =>
  (await pool.query(`SELECT type FROM outbox WHERE payload->'data'->>'userId' = $1 ORDER BY seq`, [userId])).rows.map((r) => r.type);

describe('DeviceService push endpoint allowlist', () => {
  it('refuses a web device whose endpoint is not a push service: 400 PUSH_ENDPOINT_NOT_ALLOWED, nothing stored or published', async () => {
    const ann = await user();
    for (const endpoint of ['https://10.0.0.5/admin', 'https://169.254.169.254/latest/meta-data/x', 'https://fcm.googleapis.com.evil.example/x', 'http://127.0.0.1:4100/push/x']) {
      await expect(service().register(ann, web(endpoint))).rejects.toMatchObject({
        code: 'PUSH_ENDPOINT_NOT_ALLOWED', status: 400, extra: { errors: [{ field: 'deviceToken', message: expect.stringMatching(/^deviceToken endpoint /) }] },
      });
    }
    expect(await stored(ann)).toEqual([]);
    expect(await events(ann)).toEqual([]);
  });

  it('takes the browsers\' push services, and native tokens as before', async () => {
    const ann = await user();
    expect((await service().register(ann, web(`https://fcm.googleapis.com/fcm/send/${randomUUID()}`))).created).toBe(true);
    expect((await service().register(ann, web(`https://updates.push.services.mozilla.com/wpush/v2/${randomUUID()}`))).created).toBe(true);
    expect((await service().register(ann, { deviceType: 'ios', deviceToken: `apns-${randomUUID()}` })).created).toBe(true);
    expect(await stored(ann)).toHaveLength(3);
    expect(await events(ann)).toEqual(['device.registered', 'device.registered', 'device.registered']);
  });

  it('takes plain http to a local push endpoint only where the setting says http://', async () => {
    const ann = await user();
    const local = `http://127.0.0.1:4100/push/${randomUUID()}`;
    await expect(service('default').register(ann, web(local))).rejects.toMatchObject({ code: 'PUSH_ENDPOINT_NOT_ALLOWED' });
    expect((await service('default,http://127.0.0.1').register(ann, web(local))).created).toBe(true);
  });

  it('will not start with a setting it cannot read', () => {
    expect(() => service('fcm.googleapis.com,https://x.example/path')).toThrow(/PUSH_ENDPOINT_HOSTS/);
  });
});
