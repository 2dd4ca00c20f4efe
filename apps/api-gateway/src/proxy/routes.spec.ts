import { loadConfig } from '@tally/config';
import { SERVICES, upstreamUrlEnv } from '@tally/contracts';
import { GatewayConfig } from '../config/gateway.config';
import { routeTable } from './routes';

describe('routeTable', () => {
  it('forwards every route of the service list to its service, at its port by default', () => {
    const table = routeTable(loadConfig(GatewayConfig, {}));
    const expected = SERVICES.flatMap((s) => s.routes.map((prefix) => ({ prefix, service: s.name, upstream: `http://127.0.0.1:${s.port}` })));
    expect(table).toEqual(expected);
    expect(table.map((r) => r.prefix)).toEqual(expect.arrayContaining(['/api/v1/auth', '/api/v1/groups', '/.well-known']));
  });

  it('sends a service its routes at the URL its setting names', () => {
    const config = loadConfig(GatewayConfig, { [upstreamUrlEnv('group-service')]: 'http://group-service:3002' });
    expect(routeTable(config).filter((r) => r.service === 'group-service').map((r) => r.upstream)).toEqual(['http://group-service:3002', 'http://group-service:3002']);
  });

  it('has no prefix owned twice', () => {
    const prefixes = routeTable(loadConfig(GatewayConfig, {})).map((r) => r.prefix);
    expect(new Set(prefixes).size).toBe(prefixes.length);
  });
});
