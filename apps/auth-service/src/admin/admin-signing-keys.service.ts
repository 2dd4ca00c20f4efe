import { Injectable, Logger } from '@nestjs/common';
import { SigningKey } from '../keys/signing-key.entity';
import { SigningKeyService } from '../keys/signing-key.service';
import { AdminCaller } from './admin-policy';
import { AdminErrors } from './admin.exceptions';

export interface SigningKeyView {
  kid: string;
  alg: string;
  status: string;
  createdAt: string;
  activatedAt: string | null;
  retiredAt: string | null;
  revokedAt: string | null;
}

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

function toView(key: SigningKey): SigningKeyView {
  return {
    kid: key.kid, alg: key.alg, status: key.status, createdAt: key.createdAt.toISOString(),
    activatedAt: iso(key.activatedAt), retiredAt: iso(key.retiredAt), revokedAt: iso(key.revokedAt),
  };
}

@Injectable()
export class AdminSigningKeysService {
  private readonly log = new Logger('AdminSigningKeys');

  constructor(private readonly keys: SigningKeyService) {}

  /**
   * Starts a rotation: the next key is announced now (`pending`, in the JWKS and on
   * `auth.signing-key.v1`) and signs once its announcement has been out SIGNING_KEY_ACTIVATION_DELAY_SECONDS;
   * then the current key retires and keeps verifying its tokens until they expire. So nobody is logged
   * out, even when Kafka is down at the time. A rotation already under way answers its pending key.
   * Superusers only, as revocation: which key signs every session is not a plain admin's to change.
   */
  async rotate(caller: AdminCaller): Promise<SigningKeyView> {
    if (caller.level !== 'superuser') throw AdminErrors.superuserRequiredTo('rotate the signing key');
    const key = await this.keys.rotate();
    this.log.log({ msg: 'signing key rotation started', kid: key.kid, byUserId: caller.id });
    return toView(key);
  }

  /** A compromised key: nothing it signed verifies any more, anywhere. Superusers only. */
  async revoke(caller: AdminCaller, kid: string): Promise<SigningKeyView> {
    if (caller.level !== 'superuser') throw AdminErrors.superuserRequiredTo('revoke a signing key');
    const key = await this.keys.revoke(kid);
    if (!key) throw AdminErrors.signingKeyNotFound();
    this.log.warn({ msg: 'signing key revoked', kid, byUserId: caller.id });
    return toView(key);
  }
}
