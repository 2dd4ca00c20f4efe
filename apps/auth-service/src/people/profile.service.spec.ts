import type { MikroORM } from '@mikro-orm/postgresql';
import { OutboxWriter } from '@tally/messaging';
import { User } from '../users/user.entity';
import { Country } from './country.entity';
import { CountryRepository } from './country.repository';
import { UserFriendship } from './friendship.entity';
import { FriendshipRepository } from './friendship.repository';
import { ProfileRepository } from './profile.repository';
import { ProfileService } from './profile.service';
import { UserProfile } from './user-profile.entity';

const ME = '00000000-0000-4000-8000-0000000000a1';
const OTHER = '00000000-0000-4000-8000-0000000000b0';

function user(id: string, over: Partial<User> = {}): User {
  return Object.assign(new User(), {
    id, username: `u${id.slice(-2)}`, email: `${id.slice(-2)}@example.com`, firstName: 'Ann', lastName: null, phoneNumber: '+4930123456',
    dateOfBirth: '1990-01-01', preferredCurrency: 'USD', timezone: 'UTC', profileVisibility: 'friends', isActive: true, isVerified: true,
    dateJoined: new Date('2026-01-01T00:00:00Z'), updatedAt: new Date('2026-01-01T00:00:00Z'), ...over,
  });
}

function setup(opts: { target?: User | null; friendship?: UserFriendship | null; profile?: UserProfile | null; country?: Country | null } = {}) {
  const me = user(ME);
  const target = opts.target === undefined ? user(OTHER) : opts.target;
  const em: { transactional: jest.Mock } = { transactional: jest.fn((fn: (e: unknown) => unknown) => fn(em)) };
  const orm = { em: { fork: () => em } } as unknown as MikroORM;
  const profiles = {
    lockUser: jest.fn(async () => me),
    findUser: jest.fn(async (_em: unknown, id: string) => (id === ME ? me : target)),
    findProfile: jest.fn(async () => opts.profile ?? null),
    ensureProfile: jest.fn(async () => opts.profile ?? Object.assign(new UserProfile(), { id: 'p1', userId: ME })),
    flush: jest.fn(async () => {
      me.updatedAt = new Date('2026-02-02T00:00:00Z');
    }),
  };
  const countries = { findByCodeOrName: jest.fn(async () => opts.country ?? null), findByCode: jest.fn(async () => opts.country ?? null) };
  const friendships = { findBetween: jest.fn(async () => opts.friendship ?? null) };
  const append = jest.fn();
  const service = new ProfileService(
    orm,
    profiles as unknown as ProfileRepository, countries as unknown as CountryRepository, friendships as unknown as FriendshipRepository,
    { append } as unknown as OutboxWriter,
  );
  return { service, me, append, profiles, countries };
}

describe('ProfileService.updateMe', () => {
  it('publishes user.profile_updated when a published field changes', async () => {
    const { service, append } = setup();
    const view = await service.updateMe(ME, { firstName: 'Annie', timezone: 'Europe/Berlin' });
    expect(view).toMatchObject({ firstName: 'Annie', timezone: 'Europe/Berlin', email: 'a1@example.com' });
    expect(append).toHaveBeenCalledTimes(1);
    expect(append.mock.calls[0][1]).toMatchObject({
      type: 'user.profile_updated', subject: ME,
      data: { userId: ME, firstName: 'Annie', timezone: 'Europe/Berlin', preferredCurrency: 'USD', profileVisibility: 'friends', updatedAt: '2026-02-02T00:00:00.000Z' },
    });
  });

  it('publishes nothing when only unpublished fields change, or a published one is set to its current value', async () => {
    const { service, append, me } = setup();
    await service.updateMe(ME, { bio: 'new bio', phoneNumber: '+4930123456', firstName: 'Ann' });
    expect(append).not.toHaveBeenCalled();
    expect(me).toMatchObject({ bio: 'new bio', phoneNumber: '+4930123456', firstName: 'Ann', lastName: null });
  });

  it('publishes user.phone_changed (not user.profile_updated) when the phone number is changed or cleared', async () => {
    const changed = setup();
    await changed.service.updateMe(ME, { phoneNumber: '+14155550123' });
    expect(changed.append.mock.calls.map((c) => c[1])).toEqual([
      { type: 'user.phone_changed', subject: ME, data: { userId: ME, phoneNumber: '+14155550123', at: expect.any(String) } },
    ]);
    const cleared = setup();
    await cleared.service.updateMe(ME, { phoneNumber: null, firstName: 'Annie' });
    expect(cleared.append.mock.calls.map((c) => c[1].type)).toEqual(['user.profile_updated', 'user.phone_changed']);
    expect(cleared.append.mock.calls[1][1].data).toMatchObject({ userId: ME, phoneNumber: null });
    expect(cleared.me.phoneNumber).toBeNull();
  });

  it('publishes no phone event when the number is set to the one it has, or not given', async () => {
    const { service, append } = setup();
    await service.updateMe(ME, { phoneNumber: '+4930123456' });
    await service.updateMe(ME, { bio: 'x' });
    expect(append).not.toHaveBeenCalled();
  });

  it('leaves absent fields alone and clears null ones', async () => {
    const { service, me } = setup();
    await service.updateMe(ME, { lastName: 'Smith', dateOfBirth: null });
    expect(me).toMatchObject({ firstName: 'Ann', lastName: 'Smith', dateOfBirth: null, preferredCurrency: 'USD' });
  });
});

describe('ProfileService.updateMyProfile', () => {
  it('stores the country as its code and refuses unknown countries', async () => {
    const de = Object.assign(new Country(), { code: 'DE', name: 'Germany' });
    const ok = setup({ country: de });
    await expect(ok.service.updateMyProfile(ME, { country: 'germany', city: 'Berlin' })).resolves.toMatchObject({ country: 'DE', countryName: 'Germany', city: 'Berlin' });
    const bad = setup({ country: null });
    await expect(bad.service.updateMyProfile(ME, { country: 'Atlantis' })).rejects.toMatchObject({ code: 'UNKNOWN_COUNTRY', status: 400 });
    expect(bad.profiles.flush).not.toHaveBeenCalled();
  });
});

describe('ProfileService.getUser / getUserProfile', () => {
  const accepted = Object.assign(new UserFriendship(), { status: 'accepted' });
  const blocked = Object.assign(new UserFriendship(), { status: 'blocked', blockedById: OTHER });

  it('gives the full public view without private fields to whom may see it', async () => {
    const { service } = setup({ target: user(OTHER, { profileVisibility: 'public' }) });
    const view = await service.getUser(ME, OTHER);
    expect(view).toMatchObject({ id: OTHER, detailsVisible: true, profileVisibility: 'public' });
    for (const k of ['email', 'phoneNumber', 'dateOfBirth', 'lastLoginIp', 'failedLoginAttempts', 'accountLockedUntil']) expect(view).not.toHaveProperty(k);
  });

  it('gives the card to a non-friend of a friends-only user, and 403 for the profile', async () => {
    const { service } = setup();
    await expect(service.getUser(ME, OTHER)).resolves.toEqual({ id: OTHER, username: 'ub0', firstName: 'Ann', detailsVisible: false });
    await expect(service.getUserProfile(ME, OTHER)).rejects.toMatchObject({ code: 'PROFILE_NOT_VISIBLE', status: 403 });
  });

  it('shows a friends-only profile to a friend, without the totals', async () => {
    const profile = Object.assign(new UserProfile(), { id: 'p2', userId: OTHER, occupation: 'Pilot', totalExpenses: '12.00' });
    const { service } = setup({ friendship: accepted, profile });
    const view = await service.getUserProfile(ME, OTHER);
    expect(view).toMatchObject({ userId: OTHER, occupation: 'Pilot' });
    expect(view).not.toHaveProperty('totalExpenses');
  });

  it('404s across a block and for unknown users', async () => {
    await expect(setup({ target: user(OTHER, { profileVisibility: 'public' }), friendship: blocked }).service.getUser(ME, OTHER)).rejects.toMatchObject({ code: 'USER_NOT_FOUND', status: 404 });
    await expect(setup({ target: null }).service.getUser(ME, OTHER)).rejects.toMatchObject({ status: 404 });
    await expect(setup({ target: null }).service.getUserProfile(ME, OTHER)).rejects.toMatchObject({ status: 404 });
  });
});
