import type { NewEvent } from '@tally/messaging';
import type { SigningKey } from './signing-key.entity';

export class NotAnEs256KeyError extends Error {
  constructor(kid: string) {
    super(`signing key ${kid} is not an EC P-256 key`);
    this.name = 'NotAnEs256KeyError';
  }
}

/**
 * The events of a signing key (`auth.signing-key.v1`, compacted, keyed by kid): its public part only, never
 * the private JWK. One per change of state, in the transaction of the change: announced (`pending`), signing
 * (`active`), `retired` (the event's time is its retirement: consumers let it verify for the key's
 * `tokenLifetimeSeconds` after it, plus skew), `revoked`.
 */
export const SigningKeyEvents = {
  published(key: SigningKey): NewEvent<'signing_key.published'> {
    const { kty, crv, x, y } = key.publicJwk;
    // The contract pins ES256 keys; the entity's JWK type is the general one.
    if (kty !== 'EC' || crv !== 'P-256') throw new NotAnEs256KeyError(key.kid);
    return {
      type: 'signing_key.published',
      subject: key.kid,
      data: {
        kid: key.kid, alg: 'ES256', publicJwk: { kty, crv, x: x!, y: y! }, status: key.status, createdAt: key.createdAt.toISOString(),
        // How long its tokens live: a retired key verifies that long after this event (plus skew), wherever it is consumed.
        ...(key.tokenLifetimeSeconds ? { tokenLifetimeSeconds: key.tokenLifetimeSeconds } : {}),
      },
    };
  },
};
