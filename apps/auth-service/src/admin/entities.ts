import { SystemConfiguration } from './system-configuration.entity';

/** Entities of the admin module (system configurations). */
export const adminEntities: Function[] = [SystemConfiguration];
