import { Injectable, Logger } from '@nestjs/common';
import { SigningKeyService } from '../keys/signing-key.service';
import { AdminCaller } from './admin-policy';

export interface RotatedKeyView {
  kid: string;
  alg: string;
  createdAt: string;
}

@Injectable()
export class AdminSigningKeysService {
  private readonly log = new Logger('AdminSigningKeys');

  constructor(private readonly keys: SigningKeyService) {}

  /**
   * Mints a new active signing key now. The previous one is retired but stays in the JWKS and in
   * every service's key projection, so tokens it signed keep working until they expire.
   */
  async rotate(caller: AdminCaller): Promise<RotatedKeyView> {
    const key = await this.keys.ensureActiveKey({ forceRotate: true });
    this.log.log({ msg: 'signing key rotated', kid: key.kid, byUserId: caller.id });
    return { kid: key.kid, alg: key.alg, createdAt: key.createdAt.toISOString() };
  }
}
