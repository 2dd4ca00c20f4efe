import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';

export class ConfigValidationError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigValidationError';
  }
}

function flatten(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((e) => [
    ...Object.values(e.constraints ?? {}).map((msg) => `${prefix}${msg}`),
    ...flatten(e.children ?? [], `${prefix}${e.property}.`),
  ]);
}

/**
 * Reads the environment once, at boot, into a validated, typed config object.
 * Nothing else in a service reads process.env.
 */
export function loadConfig<T extends object>(cls: new () => T, env: Record<string, string | undefined> = process.env): T {
  const plain: Record<string, unknown> = {};
  const unreadableBooleans: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined || v === '') continue;
    // Implicit conversion would make Boolean("false") true: read booleans the way people write them.
    if (Reflect.getMetadata('design:type', cls.prototype, k) === Boolean) {
      const lower = v.trim().toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(lower)) plain[k] = true;
      else if (['false', '0', 'no', 'off'].includes(lower)) plain[k] = false;
      else unreadableBooleans[k] = v;
    } else plain[k] = v;
  }
  const instance = plainToInstance(cls, plain, { enableImplicitConversion: true, exposeDefaultValues: true });
  // Left as the string it was, so the @IsBoolean() check reports it instead of it becoming true.
  Object.assign(instance as object, unreadableBooleans);
  const errors = validateSync(instance as object, { whitelist: true, forbidUnknownValues: false });
  if (errors.length) throw new ConfigValidationError(flatten(errors));
  return Object.freeze(instance);
}
