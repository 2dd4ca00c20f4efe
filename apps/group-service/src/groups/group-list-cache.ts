import { Injectable, OnApplicationBootstrap, OnModuleDestroy, OnModuleInit, Optional } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { Counter } from 'prom-client';
import { PgChannelListener } from '@tally/persistence';
import { ServiceRuntime } from '@tally/service-kit';
import type { GroupServiceConfig } from '../config/group.config';

/** The channel group-service's triggers NOTIFY with the users whose group lists changed (migration 20261209000100). */
export const GROUP_LISTS_CHANNEL = 'tally_group_lists';

/** One user's cached pages, by query. A new `id` once the user's lists change (the entry is dropped, and a new one made). */
interface UserPages {
  id: number;
  pages: Map<string, { value: unknown; bytes: number }>;
  bytes: number;
}

/** Pages kept per user (the default list, an archived tab, a search or two): the oldest query leaves first. */
const PAGES_PER_USER = 8;
const READS = new Set(['GET', 'HEAD', 'OPTIONS']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Each user's group lists (`GET /api/v1/groups` pages), answered from memory until PostgreSQL says
 * they changed (ADR 16). Without it, every list is a database round trip: the hot path's cost.
 *
 * Correctness, in order of what could go wrong:
 * - A change committed by anyone (this replica, another, an event handler, SQL by hand) reaches
 *   every replica as a NOTIFY naming the users (triggers on groups and group_memberships), and
 *   their pages are dropped. Until it arrives (normally within milliseconds of the commit) another
 *   replica may still answer the previous list; nothing else is cached (a group, its members,
 *   expenses and balances are always read from the database, with their access checks).
 * - A change made through this replica is visible to its next read at once: every state-changing
 *   HTTP request handled here drops the whole cache before its response is sent (an onSend hook: its
 *   own NOTIFY may arrive a moment after the client's next read). Such requests are rare next to
 *   list reads, so dropping everything costs little. (A Fastify hook, not a Nest interceptor: any
 *   global interceptor puts Nest's interceptor chain, rxjs and an AsyncResource per request, on
 *   every read, which cost more than the cache saved.)
 * - A read that started before a change and finished after it is not stored (its user's pages
 *   were replaced meanwhile).
 * - NOTIFYs are lost while the LISTEN connection is down: the cache is then off (every read goes to
 *   the database) and emptied, and it fills again only once listening again.
 * - Bounded: GROUP_LIST_CACHE_MB of pages (approximate JSON size) and GROUP_LIST_CACHE_TTL_MS per user.
 */
@Injectable()
export class GroupListCache implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly users?: LRUCache<string, UserPages>;
  private readonly listener?: PgChannelListener;
  private readonly reads: Counter<'result'>;
  private readonly logger: Logger;
  private listening = false;
  private nextId = 1;

  constructor(runtime: ServiceRuntime<GroupServiceConfig>, @Optional() private readonly http?: HttpAdapterHost) {
    const { config } = runtime;
    this.logger = runtime.logger.child({ component: 'group-list-cache' });
    this.reads = new Counter({
      name: 'group_list_cache_reads_total',
      help: 'Group list reads: hit (from memory), miss (from the database, then kept unless it changed meanwhile), off (the cache is off or not listening)',
      labelNames: ['result'],
      registers: [runtime.metrics.registry],
    });
    if (config.GROUP_LIST_CACHE_MB <= 0) return;
    this.users = new LRUCache<string, UserPages>({
      maxSize: config.GROUP_LIST_CACHE_MB * 1024 * 1024,
      sizeCalculation: (u) => Math.max(1, u.bytes),
      ttl: config.GROUP_LIST_CACHE_TTL_MS,
    });
    this.listener = new PgChannelListener({
      databaseUrl: config.DATABASE_URL,
      channel: GROUP_LISTS_CHANNEL,
      applicationName: 'group-list-cache-listener',
      logger: this.logger,
      onPayload: (payload) => this.changed(payload),
      // NOTIFYs may have been missed while away: start empty either way.
      onConnected: () => {
        this.users?.clear();
        this.listening = true;
      },
      onDisconnected: () => {
        this.listening = false;
        this.users?.clear();
      },
    });
    runtime.healthChecks.push({
      name: 'group-list-cache-listener',
      critical: false,
      check: async () => {
        if (!this.listener?.connected) throw new Error('not listening: group lists are read from the database');
      },
    });
  }

  /** Whether reads are answered from memory now. */
  get active(): boolean {
    return this.users !== undefined && this.listening;
  }

  onModuleInit(): void {
    // Before the server is ready: Fastify applies a root hook to every route.
    const fastify = this.http?.httpAdapter?.getInstance?.() as FastifyInstance | undefined;
    fastify?.addHook('onSend', (req, _reply, payload, done) => {
      if (!READS.has(req.method)) this.clear();
      done(null, payload);
    });
  }

  onApplicationBootstrap(): void {
    this.listener?.start();
  }

  async onModuleDestroy(): Promise<void> {
    this.listening = false;
    await this.listener?.stop();
  }

  /** The user's page for `query`: from memory when held, else `load()`, kept unless the user's lists changed meanwhile. */
  async read<T>(userId: string, query: string, load: () => Promise<T>): Promise<T> {
    const users = this.users;
    if (!users || !this.listening) {
      this.reads.inc({ result: 'off' });
      return load();
    }
    const entry = users.get(userId);
    const hit = entry?.pages.get(query);
    if (hit) {
      this.reads.inc({ result: 'hit' });
      return hit.value as T;
    }
    this.reads.inc({ result: 'miss' });
    let id = entry?.id;
    if (id === undefined) {
      id = this.nextId++;
      users.set(userId, { id, pages: new Map(), bytes: 0 });
    }
    const value = await load();
    // Dropped (a change, eviction, expiry, a lost connection) while it was read: not kept.
    const current = users.peek(userId);
    if (this.listening && current?.id === id) {
      const bytes = JSON.stringify(value).length + query.length + 64;
      const pages = current.pages;
      let total = current.bytes;
      const previous = pages.get(query);
      if (previous) total -= previous.bytes;
      else if (pages.size >= PAGES_PER_USER) {
        const [oldest, page] = pages.entries().next().value as [string, { bytes: number }];
        pages.delete(oldest);
        total -= page.bytes;
      }
      pages.set(query, { value, bytes });
      // A new object with the same id, so the LRU counts its new size.
      users.set(userId, { id, pages, bytes: total + bytes });
    }
    return value;
  }

  /** A NOTIFY: users' ids, comma-separated, or `*` for everyone. */
  changed(payload: string): void {
    const users = this.users;
    if (!users) return;
    if (payload === '*') {
      users.clear();
      return;
    }
    for (const id of payload.split(',')) {
      if (UUID.test(id)) users.delete(id.toLowerCase());
      else {
        // Not ours to understand: drop everything rather than keep something stale.
        this.logger.warn({ payload: payload.slice(0, 100) }, 'unexpected group list notification; dropping the whole cache');
        users.clear();
        return;
      }
    }
  }

  /** Forget every page (a state-changing request was handled here). */
  clear(): void {
    this.users?.clear();
  }
}

