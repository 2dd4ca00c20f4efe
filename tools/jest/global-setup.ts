import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { exportInfraToEnv, resolveTestInfra } from '../../libs/testing/src/infra'; // globalSetup gets no moduleNameMapper: infra.ts imports no @tally/* library

/** Resolves the test infrastructure once (env vars, else Testcontainers, else local processes) and builds dist/ for e2e. */
export default async function globalSetup(): Promise<void> {
  const g = globalThis as { __tallyInfra?: Awaited<ReturnType<typeof resolveTestInfra>> };
  if (!g.__tallyInfra) {
    g.__tallyInfra = await resolveTestInfra();
    exportInfraToEnv(g.__tallyInfra);
    execFileSync(process.execPath, [path.join(__dirname, '..', 'build.js')], { stdio: 'inherit' });
    execFileSync(process.execPath, ['-r', '@swc-node/register', path.join(__dirname, '..', 'create-topics.ts')], { stdio: 'inherit', env: process.env });
  }
}
