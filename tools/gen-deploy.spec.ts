import fs from 'node:fs';
import path from 'node:path';
import { SERVICES, allDatabases } from '@tally/contracts';

// Plain CommonJS tools (they run before the build): required, not imported.
const { outOfDate, render } = require('./gen-deploy.js') as { outOfDate: () => string[]; render: () => Record<string, string> };
const services = require('./services.js') as { loadServices: () => unknown; localEnv: (name: string, env: Record<string, string>) => Record<string, string> };

const ROOT = path.resolve(__dirname, '..');
const read = (rel: string) => fs.readFileSync(path.join(ROOT, rel), 'utf8');

describe('deployment files generated from the service list', () => {
  it('are up to date (else: npm run gen:deploy, and commit the result)', () => {
    expect(outOfDate()).toEqual([]);
  });

  it('read the same list the code imports', () => {
    expect(services.loadServices()).toEqual(SERVICES);
  });

  it('deploy every process with its port, database, entry and the gateway its upstreams', () => {
    const files = render();
    const compose = files['docker-compose.yml'];
    for (const s of SERVICES) {
      expect(compose).toContain(`\n  ${s.name}:\n`);
      expect(compose).toContain(`PORT: "${s.port}"`);
      const k8s = files[`k8s/base/apps/${s.name}.yaml`];
      expect(k8s).toContain(`containerPort: ${s.port}\n`);
      expect(k8s).toContain(`/${s.app}:`);
      if (s.database) expect(k8s).toContain(`key: ${s.database.toUpperCase()}_DATABASE_URL\n`);
      if (s.entry !== 'main.js') expect(k8s).toContain(`value: ${s.entry}\n`);
      expect(files['k8s/base/kustomization.yaml']).toContain(`- apps/${s.name}.yaml\n`);
      if (s.kind === 'api') {
        expect(files['k8s/base/apps/api-gateway.yaml']).toContain(`value: http://${s.name}:${s.port}\n`);
        expect(compose).toContain(`: http://${s.name}:${s.port}\n`);
      }
    }
  });

  it('match the hand-written files that name databases and ports', () => {
    const sql = read('infra/postgres/init/01-databases.sql');
    for (const db of allDatabases()) expect(sql).toContain(`CREATE DATABASE ${db};`);
    const readme = read('README.md');
    for (const s of SERVICES) expect(readme).toMatch(new RegExp(`\\| ${s.name} \\| ${s.port} \\|`));
  });

  it('give a local process the settings its flags say it reads', () => {
    const env = { DATABASE_URL_BASE: 'postgres://u:p@db:5432', KAFKA_BROKERS: 'k:9092', SECRETS_KEY: 'x', SMTP_PORT: '2525' };
    expect(services.localEnv('auth-service', env)).toMatchObject({ PORT: '3001', DATABASE_URL: 'postgres://u:p@db:5432/tally_auth', KAFKA_BROKERS: 'k:9092', SECRETS_KEY: 'x' });
    const worker = services.localEnv('notification-worker', env);
    expect(worker).toMatchObject({ PORT: '3016', DATABASE_URL: 'postgres://u:p@db:5432/tally_notification', SMTP_PORT: '2525', REDIS_URL: 'redis://127.0.0.1:6379' });
    expect(worker.KAFKA_BROKERS).toBeUndefined();
    expect(services.localEnv('api-gateway', env)).toMatchObject({ AUTH_SERVICE_URL: 'http://127.0.0.1:3001', NOTIFICATION_SERVICE_URL: 'http://127.0.0.1:3006' });
  });
});
