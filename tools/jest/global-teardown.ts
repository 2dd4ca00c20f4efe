import type { TestInfra } from '../../libs/testing/src/infra'; // globalSetup gets no moduleNameMapper

export default async function globalTeardown(): Promise<void> {
  const g = globalThis as { __tallyInfra?: TestInfra };
  await g.__tallyInfra?.teardown();
  g.__tallyInfra = undefined;
}
