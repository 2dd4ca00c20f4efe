import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit, Optional } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { JsonWebKey, KeyObject, createPrivateKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import { OutboxWriter } from '@tally/messaging';
import { freshEm, inTransaction } from '@tally/persistence';
import { AccessTokenVerifier, RETIRED_KEY_SKEW_MS } from '@tally/security';
import { CONFIG } from '@tally/service-kit';
import { AuthServiceConfig } from '../config/auth.config';
import { SigningKey } from './signing-key.entity';
import { SigningKeyEvents } from './signing-key.events';
import { SigningKeyRepository } from './signing-key.repository';
import { AuthSecrets } from './secrets';

export interface AccessToken {
  token: string;
  expiresIn: number;
}

/** The public members of a JWK, for the JWKS document. */
export interface PublishedJwk extends JsonWebKey {
  kid: string;
  alg: string;
  use: 'sig';
}

/**
 * Owns the ES256 keys that sign access tokens, and signs them (through `@nestjs/jwt`).
 *
 * A key's life (SigningKeyStatus): minted `pending` and announced (`signing_key.published`, the JWKS),
 * it signs only once that announcement has left the outbox SIGNING_KEY_ACTIVATION_DELAY_SECONDS ago, so
 * every service (through Kafka) and the gateway (through the JWKS) know it before its first token:
 * while Kafka is down the old key keeps signing. Then it is `active` and the previous key `retired`,
 * verifying its tokens until they expire. A key can be `revoked` at any time: it verifies nothing.
 *
 * The key that signs is kept in memory (never read on the request's database connection, which is
 * inside the login/refresh transaction); every SIGNING_KEY_CHECK_INTERVAL_MS a replica looks at the
 * table under an advisory lock (`maintain`): activates an announced key when due, starts a rotation
 * when the active key is SIGNING_KEY_ROTATION_DAYS old, and follows what other replicas did.
 */
@Injectable()
export class SigningKeyService implements OnModuleInit, OnModuleDestroy {
  private signing?: { kid: string; key: KeyObject };
  private timer?: NodeJS.Timeout;
  private maintaining?: Promise<void>;
  private readonly log = new Logger('SigningKeys');

  constructor(
    private readonly orm: MikroORM,
    private readonly keys: SigningKeyRepository,
    private readonly outbox: OutboxWriter,
    private readonly secrets: AuthSecrets,
    private readonly jwt: JwtService,
    @Inject(CONFIG) private readonly config: AuthServiceConfig,
    @Optional() private readonly verifier?: AccessTokenVerifier,
  ) {}

  async onModuleInit(): Promise<void> {
    // Re-announce the keys at every start: a service whose projection missed one (a new service, a
    // recreated topic) heals without anyone logging out. Consumers upsert, so it is harmless.
    await this.maintain({ republish: true });
    this.timer = setInterval(() => void this.tick(), this.config.SIGNING_KEY_CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** Signs an access token with the active key, from memory: no database access. */
  async signAccessToken(user: { id: string; role: string; username: string }): Promise<AccessToken> {
    if (!this.signing) throw new Error('no signing key loaded');
    const { kid, key } = this.signing;
    // Algorithm, issuer, audience, lifetime and the at+jwt header come from the JwtModule options (keys.module.ts).
    const token = this.jwt.sign({ typ: 'access', role: user.role, username: user.username }, { privateKey: key, keyid: kid, subject: user.id, jwtid: randomUUID() });
    return { token, expiresIn: this.config.ACCESS_TOKEN_TTL_SECONDS };
  }

  /** The kid new tokens are signed with. */
  get activeKid(): string | undefined {
    return this.signing?.kid;
  }

  /** One step of the keys' life, under the minting lock so replicas agree; then signs with whatever is active. */
  async maintain(opts: { republish?: boolean } = {}): Promise<void> {
    const active = await inTransaction(this.orm, async (em) => {
      await this.keys.lockMinting(em);
      const current = await this.keys.findActive(em);
      const pending = await this.keys.findPending(em);
      if (!current && !pending) {
        // The very first key: no token exists that anyone must verify, so it signs at once.
        const first = await this.insert(em, this.mint(), 'active');
        this.log.log({ msg: 'first signing key', kid: first.kid });
        return first;
      }
      if (pending && (!current || (await this.keys.announcedLongEnough(em, pending.kid, this.config.SIGNING_KEY_ACTIVATION_DELAY_SECONDS)))) {
        await this.activate(em, pending, current);
        return pending;
      }
      // This replica is about to sign with `current` (and may with `pending`): their published lifetime must
      // cover its tokens (ACCESS_TOKEN_TTL_SECONDS may have been raised since they were minted), long before they retire.
      await this.coverOwnLifetime(em, current!);
      if (pending) await this.coverOwnLifetime(em, pending);
      if (opts.republish) {
        await this.publish(em, current!);
        if (pending) await this.publish(em, pending);
      }
      if (!pending && this.isDue(current!)) {
        const next = await this.insert(em, this.mint(), 'pending');
        this.log.log({ msg: 'next signing key announced', kid: next.kid, signsAfterSeconds: this.config.SIGNING_KEY_ACTIVATION_DELAY_SECONDS });
      }
      return current!;
    });
    this.useForSigning(active);
  }

  /**
   * Starts a rotation: mints the next key and announces it (`pending`); it signs once the announcement
   * has been out SIGNING_KEY_ACTIVATION_DELAY_SECONDS (see `maintain`). A rotation already under way is returned as it is.
   */
  async rotate(): Promise<SigningKey> {
    const key = await inTransaction(this.orm, async (em) => {
      await this.keys.lockMinting(em);
      return (await this.keys.findPending(em)) ?? this.insert(em, this.mint(), 'pending');
    });
    this.log.log({ msg: 'next signing key announced', kid: key.kid, signsAfterSeconds: this.config.SIGNING_KEY_ACTIVATION_DELAY_SECONDS });
    return key;
  }

  /**
   * Revokes a key: it verifies nothing from now on, here at once, at the services as soon as they
   * consume the event, at the gateway at its next JWKS refresh. Revoking the active key makes the
   * announced key (or a new one) sign at once: verifiers that have not heard of it yet refuse its
   * tokens until they do, the price of an emergency. Revoking a revoked key changes nothing. Null: no such key.
   */
  async revoke(kid: string): Promise<SigningKey | null> {
    const outcome = await inTransaction(this.orm, async (em) => {
      await this.keys.lockMinting(em);
      const key = await this.keys.findByKid(em, kid);
      if (!key || key.status === 'revoked') return { key, next: null };
      const wasActive = key.status === 'active';
      key.status = 'revoked';
      key.revokedAt = new Date();
      await this.keys.flush(em);
      await this.publish(em, key);
      let next: SigningKey | null = null;
      if (wasActive) {
        next = (await this.keys.findPending(em)) ?? (await this.insert(em, this.mint(), 'pending'));
        await this.activate(em, next, null);
      }
      return { key, next };
    });
    if (outcome.next) this.useForSigning(outcome.next);
    if (outcome.key) this.verifier?.forgetKey(kid);
    return outcome.key;
  }

  /**
   * The JWKS document: public parts of every key that may verify (pending, active, retired within its
   * token lifetime plus skew); never a revoked key.
   */
  async jwks(): Promise<{ keys: PublishedJwk[] }> {
    const keys = await this.keys.findVerifiable(freshEm(this.orm), this.config.ACCESS_TOKEN_TTL_SECONDS, RETIRED_KEY_SKEW_MS);
    return { keys: keys.map((k) => ({ ...k.publicJwk, kid: k.kid, alg: k.alg, use: 'sig' })) };
  }

  private tick(): void {
    this.maintaining ??= this.maintain()
      .catch((err: Error) => this.log.warn({ msg: 'signing key check failed', err: err.message }))
      .finally(() => {
        this.maintaining = undefined;
      });
  }

  private isDue(active: SigningKey): boolean {
    const since = (active.activatedAt ?? active.createdAt).getTime();
    return Date.now() - since >= this.config.SIGNING_KEY_ROTATION_DAYS * 24 * 3600 * 1000;
  }

  /**
   * Raises the key's published token lifetime to this replica's ACCESS_TOKEN_TTL_SECONDS (never lowers
   * it: tokens signed under a longer one still live) and announces it. Whether it changed.
   */
  private async coverOwnLifetime(em: EntityManager, key: SigningKey): Promise<boolean> {
    if ((key.tokenLifetimeSeconds ?? 0) >= this.config.ACCESS_TOKEN_TTL_SECONDS) return false;
    key.tokenLifetimeSeconds = this.config.ACCESS_TOKEN_TTL_SECONDS;
    await this.keys.flush(em);
    await this.publish(em, key);
    return true;
  }

  /** `next` starts signing; `previous` (if any) retires. Two flushes: at most one active key at any moment (a unique index). */
  private async activate(em: EntityManager, next: SigningKey, previous: SigningKey | null): Promise<void> {
    const now = new Date();
    next.tokenLifetimeSeconds = Math.max(next.tokenLifetimeSeconds ?? 0, this.config.ACCESS_TOKEN_TTL_SECONDS);
    if (previous) {
      previous.status = 'retired';
      previous.retiredAt = now;
      await this.keys.flush(em);
      await this.publish(em, previous);
    }
    next.status = 'active';
    next.activatedAt = now;
    await this.keys.flush(em);
    await this.publish(em, next);
    this.log.log({ msg: 'signing key activated', kid: next.kid, retired: previous?.kid ?? null });
  }

  private useForSigning(key: SigningKey): void {
    if (this.signing?.kid === key.kid) return;
    const jwk = this.secrets.openJson(key.privateJwk) as JsonWebKey;
    this.signing = { kid: key.kid, key: createPrivateKey({ key: jwk, format: 'jwk' }) };
  }

  private mint(): SigningKey {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pub = publicKey.export({ format: 'jwk' });
    const key = new SigningKey();
    key.kid = randomUUID();
    key.publicJwk = { kty: pub.kty, crv: pub.crv, x: pub.x, y: pub.y };
    key.privateJwk = this.secrets.sealJson(privateKey.export({ format: 'jwk' }));
    key.createdAt = new Date();
    key.tokenLifetimeSeconds = this.config.ACCESS_TOKEN_TTL_SECONDS;
    return key;
  }

  private async insert(em: EntityManager, key: SigningKey, status: 'pending' | 'active'): Promise<SigningKey> {
    key.status = status;
    if (status === 'active') key.activatedAt = new Date();
    await this.keys.insert(em, key);
    await this.publish(em, key);
    return key;
  }

  private async publish(em: EntityManager, key: SigningKey): Promise<void> {
    await this.outbox.append(em, SigningKeyEvents.published(key));
  }
}
