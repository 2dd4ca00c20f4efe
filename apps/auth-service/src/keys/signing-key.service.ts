import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { JWK, KeyLike, SignJWT, exportJWK, generateKeyPair, importJWK } from 'jose';
import { randomUUID } from 'node:crypto';
import { OutboxWriter } from '@tally/messaging';
import { freshEm, inTransaction } from '@tally/persistence';
import { ACCESS_TOKEN_ALG, ACCESS_TOKEN_HEADER_TYP } from '@tally/security';
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

/**
 * Owns the ES256 keys that sign access tokens. One key is active; a rotated-out key keeps
 * verifying until every token it signed has expired, so rotation logs nobody out. Each new key
 * is published as `signing_key.published`, from which every service keeps its own key set.
 */
/** How often a replica re-reads which key is active (rotation by another replica). */
const ACTIVE_KEY_RECHECK_MS = 30_000;

@Injectable()
export class SigningKeyService implements OnModuleInit {
  private active?: { kid: string; key: KeyLike | Uint8Array; createdAt: Date; loadedAt: number };

  constructor(
    private readonly orm: MikroORM,
    private readonly keys: SigningKeyRepository,
    private readonly outbox: OutboxWriter,
    private readonly secrets: AuthSecrets,
    @Inject(CONFIG) private readonly config: AuthServiceConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    // Re-announce the active key at every start: a service whose projection missed it (a new
    // service, a recreated topic) heals without anyone logging out. Consumers upsert, so it is harmless.
    await this.ensureActiveKey({ republish: true });
  }

  /** Makes sure a fresh active key exists (minting and publishing one if not); returns it. */
  async ensureActiveKey(opts: { forceRotate?: boolean; republish?: boolean } = {}): Promise<SigningKey> {
    const key = await inTransaction(this.orm, async (em) => {
      await this.keys.lockMinting(em);
      const current = await this.keys.findActive(em);
      const maxAgeMs = this.config.SIGNING_KEY_ROTATION_DAYS * 24 * 3600 * 1000;
      if (current && !opts.forceRotate && Date.now() - current.createdAt.getTime() < maxAgeMs) {
        if (opts.republish) await this.publish(em, current);
        return current;
      }
      if (current) {
        current.status = 'retired';
        current.retiredAt = new Date();
        await this.keys.flush(em);
        await this.publish(em, current);
      }
      const fresh = await this.mint();
      await this.keys.insert(em, fresh);
      await this.publish(em, fresh);
      return fresh;
    });
    this.active = { kid: key.kid, key: await importJWK(this.secrets.openJson(key.privateJwk), ACCESS_TOKEN_ALG), createdAt: key.createdAt, loadedAt: Date.now() };
    return key;
  }

  async signAccessToken(user: { id: string; role: string; username: string }): Promise<AccessToken> {
    if (!this.active || Date.now() - this.active.createdAt.getTime() > this.config.SIGNING_KEY_ROTATION_DAYS * 24 * 3600 * 1000) {
      await this.ensureActiveKey();
    } else if (Date.now() - this.active.loadedAt > ACTIVE_KEY_RECHECK_MS) {
      // Another replica may have rotated: sign with what the database says is active.
      const current = await this.keys.findActive(freshEm(this.orm));
      if (current && current.kid !== this.active.kid) {
        this.active = { kid: current.kid, key: await importJWK(this.secrets.openJson(current.privateJwk), ACCESS_TOKEN_ALG), createdAt: current.createdAt, loadedAt: Date.now() };
      } else this.active.loadedAt = Date.now();
    }
    const { kid, key } = this.active!;
    const ttl = this.config.ACCESS_TOKEN_TTL_SECONDS;
    const token = await new SignJWT({ typ: 'access', role: user.role, username: user.username })
      .setProtectedHeader({ alg: ACCESS_TOKEN_ALG, kid, typ: ACCESS_TOKEN_HEADER_TYP })
      .setSubject(user.id)
      .setIssuer(this.config.JWT_ISSUER)
      .setAudience(this.config.JWT_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${ttl}s`)
      .setJti(randomUUID())
      .sign(key);
    return { token, expiresIn: ttl };
  }

  /** The JWKS document: public parts only. */
  async jwks(): Promise<{ keys: JWK[] }> {
    const graceMs = (this.config.ACCESS_TOKEN_TTL_SECONDS + 300) * 1000;
    const keys = await this.keys.findVerifiable(freshEm(this.orm), graceMs);
    return { keys: keys.map((k) => ({ ...k.publicJwk, kid: k.kid, alg: k.alg, use: 'sig' })) };
  }

  private async mint(): Promise<SigningKey> {
    const { publicKey, privateKey } = await generateKeyPair(ACCESS_TOKEN_ALG, { extractable: true });
    const key = new SigningKey();
    key.kid = randomUUID();
    const pub = await exportJWK(publicKey);
    key.publicJwk = { kty: pub.kty, crv: pub.crv, x: pub.x, y: pub.y };
    key.privateJwk = this.secrets.sealJson(await exportJWK(privateKey)) as JWK;
    key.status = 'active';
    key.createdAt = new Date();
    return key;
  }

  private async publish(em: EntityManager, key: SigningKey): Promise<void> {
    await this.outbox.append(em, SigningKeyEvents.published(key));
  }
}
