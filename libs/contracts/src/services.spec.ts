import { Queues } from './queues';
import { SERVICES, ServicePorts, allDatabases, routedServices, service, startWaves, upstreamUrlEnv } from './services';

describe('the service list', () => {
  const names = SERVICES.map((s) => s.name);

  it('names each process and port once', () => {
    expect(new Set(names).size).toBe(names.length);
    expect(new Set(SERVICES.map((s) => s.port)).size).toBe(SERVICES.length);
    for (const n of names) expect(n).toMatch(/^[a-z][a-z0-9-]*$/);
  });

  it('keeps ServicePorts for existing users', () => {
    expect(ServicePorts['api-gateway']).toBe(8080);
    expect(ServicePorts['notification-worker']).toBe(3016);
    expect(Object.keys(ServicePorts)).toEqual(names);
  });

  it('has one gateway, which depends on every service it forwards to', () => {
    const gateways = SERVICES.filter((s) => s.kind === 'gateway');
    expect(gateways).toHaveLength(1);
    expect([...gateways[0].dependsOn].sort()).toEqual(routedServices().map((s) => s.name).sort());
  });

  it('gives every route prefix one owner, and routes only to APIs', () => {
    const prefixes = SERVICES.flatMap((s) => s.routes);
    expect(new Set(prefixes).size).toBe(prefixes.length);
    for (const p of prefixes) expect(p).toMatch(/^\/[a-z0-9./-]+[a-z0-9-]$/);
    for (const s of SERVICES) if (s.kind !== 'api') expect(s.routes).toEqual([]);
  });

  it('lists workers that exist, run their service code and consume known queues', () => {
    const queues: string[] = Object.values(Queues);
    for (const s of SERVICES) {
      for (const w of s.workers) {
        const worker = SERVICES.find((x) => x.name === w);
        expect(worker).toMatchObject({ kind: 'worker', app: s.app, database: s.database });
      }
      if (s.kind === 'worker') {
        expect(SERVICES.filter((x) => (x.workers as readonly string[]).includes(s.name))).toHaveLength(1);
        expect(s.queues.length).toBeGreaterThan(0);
      }
      for (const q of s.queues) expect(queues).toContain(q);
    }
  });

  it('depends only on processes of the list, without cycles', () => {
    for (const s of SERVICES) for (const d of s.dependsOn) expect(names).toContain(d);
    const waves = startWaves();
    expect(waves.flat().sort()).toEqual([...names].sort());
    expect(waves[0]).toContain('auth-service');
    expect(waves[waves.length - 1]).toEqual(['api-gateway']);
  });

  it('starts a subset in order, taking the others as running', () => {
    expect(startWaves(['api-gateway', 'group-service'])).toEqual([['group-service'], ['api-gateway']]);
  });

  it('derives databases and settings names', () => {
    expect(allDatabases()).toEqual(['tally_auth', 'tally_group', 'tally_expense', 'tally_payment', 'tally_analytics', 'tally_notification']);
    expect(upstreamUrlEnv('notification-service')).toBe('NOTIFICATION_SERVICE_URL');
    expect(service('notification-worker').entry).toBe('worker.js');
    expect(() => service('nope' as never)).toThrow('no service named nope');
  });
});
