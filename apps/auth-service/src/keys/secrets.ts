import { Inject, Injectable, Logger } from '@nestjs/common';
import { SecretBox } from '@tally/security';
import { CONFIG } from '@tally/service-kit';
import { AuthServiceConfig } from '../config/auth.config';

/**
 * Seals auth's secrets at rest with SECRETS_KEY when it is set. Values written before a key was
 * configured (or in development without one) are read as they are.
 */
@Injectable()
export class AuthSecrets {
  private readonly box?: SecretBox;

  constructor(@Inject(CONFIG) config: AuthServiceConfig) {
    if (config.SECRETS_KEY) this.box = new SecretBox(config.SECRETS_KEY);
    else new Logger('AuthSecrets').warn('SECRETS_KEY is not set: private keys and sensitive settings are stored in clear');
  }

  seal(plaintext: string): string {
    return this.box ? this.box.seal(plaintext) : plaintext;
  }

  open(stored: string): string {
    if (!SecretBox.isSealed(stored)) return stored;
    if (!this.box) throw new Error('a sealed secret was found but SECRETS_KEY is not set');
    return this.box.open(stored);
  }

  sealJson<T>(value: T): T | { sealed: string } {
    return this.box ? { sealed: this.box.seal(JSON.stringify(value)) } : value;
  }

  openJson<T>(stored: T | { sealed: string }): T {
    const s = stored as { sealed?: unknown };
    if (s && typeof s === 'object' && typeof s.sealed === 'string') return JSON.parse(this.open(s.sealed)) as T;
    return stored as T;
  }
}
