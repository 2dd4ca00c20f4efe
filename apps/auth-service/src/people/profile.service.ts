import { Injectable } from '@nestjs/common';
import { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { OutboxWriter } from '@tally/messaging';
import { freshEm, inTransaction } from '@tally/persistence';
import { PhoneNumberEvents } from '../users/phone-number.events';
import { User } from '../users/user.entity';
import { UserEvents } from '../users/user.events';
import { CountryRepository } from './country.repository';
import { UpdateMeDto, UpdateProfileDto } from './dto/profile.dto';
import { FriendshipRepository } from './friendship.repository';
import { PeopleErrors } from './people.exceptions';
import { ProfileRepository } from './profile.repository';
import { UserProfile } from './user-profile.entity';
import {
  OwnProfileView, OwnUserView, PublicProfileView, PublicUserView, UserCard, toOwnProfileView, toOwnUserView, toPublicProfileView,
  toPublicUserView, toUserCard,
} from './views';
import { Visibility, decideVisibility, relationOf } from './visibility';

/** The fields of `user.profile_updated`: a change to any of them is published. */
const PUBLISHED_FIELDS = ['username', 'firstName', 'lastName', 'preferredCurrency', 'timezone', 'profileVisibility'] as const;

const USER_FIELDS = [
  'firstName', 'lastName', 'phoneNumber', 'avatar', 'bio', 'dateOfBirth', 'preferredCurrency', 'timezone', 'profileVisibility',
  'userNotificationPreferences',
] as const satisfies readonly (keyof UpdateMeDto & keyof User)[];

const PROFILE_FIELDS = ['occupation', 'company', 'website', 'city', 'socialLinks'] as const satisfies readonly (keyof UpdateProfileDto & keyof UserProfile)[];

@Injectable()
export class ProfileService {
  constructor(
    private readonly orm: MikroORM,
    private readonly profiles: ProfileRepository,
    private readonly countries: CountryRepository,
    private readonly friendships: FriendshipRepository,
    private readonly outbox: OutboxWriter,
  ) {}

  /**
   * PATCH /users/me: absent fields stay; `user.profile_updated` goes out in the same transaction when a
   * published field changed, and `user.phone_changed` (its own topic: personal data) when the phone number did.
   */
  async updateMe(userId: string, dto: UpdateMeDto): Promise<OwnUserView> {
    return inTransaction(this.orm, async (em) => {
      const user = await this.profiles.lockUser(em, userId);
      if (!user || !user.isActive) throw PeopleErrors.userNotFound();
      const before = PUBLISHED_FIELDS.map((f) => user[f] ?? null);
      const phoneBefore = user.phoneNumber ?? null;
      for (const field of USER_FIELDS) {
        if (dto[field] !== undefined) (user as unknown as Record<string, unknown>)[field] = dto[field];
      }
      await this.profiles.flush(em);
      if (PUBLISHED_FIELDS.some((f, i) => (user[f] ?? null) !== before[i])) {
        await this.outbox.append(em, UserEvents.profileUpdated(user));
      }
      if ((user.phoneNumber ?? null) !== phoneBefore) await this.outbox.append(em, PhoneNumberEvents.changed(user));
      return toOwnUserView(user);
    });
  }

  async getMyProfile(userId: string): Promise<OwnProfileView> {
    return inTransaction(this.orm, async (em) => {
      await this.activeUser(em, userId);
      const profile = await this.profiles.ensureProfile(em, userId);
      return toOwnProfileView(profile, await this.countryOf(profile, em));
    });
  }

  /** PATCH /users/me/profile. The country may be given as code or name; it is stored as the alpha-2 code. */
  async updateMyProfile(userId: string, dto: UpdateProfileDto): Promise<OwnProfileView> {
    return inTransaction(this.orm, async (em) => {
      await this.activeUser(em, userId);
      const profile = await this.profiles.ensureProfile(em, userId, true);
      if (dto.country !== undefined) {
        if (dto.country === null) profile.country = null;
        else {
          const country = await this.countries.findByCodeOrName(em, dto.country);
          if (!country) throw PeopleErrors.unknownCountry();
          profile.country = country.code;
        }
      }
      for (const field of PROFILE_FIELDS) {
        if (dto[field] !== undefined) (profile as unknown as Record<string, unknown>)[field] = dto[field];
      }
      await this.profiles.flush(em);
      return toOwnProfileView(profile, await this.countryOf(profile, em));
    });
  }

  /** GET /users/:id: the full public view, the minimal card, or 404, by the target's profile_visibility (see visibility.ts). */
  async getUser(viewerId: string, targetId: string): Promise<PublicUserView | UserCard> {
    const { user, visibility } = await this.visibilityOf(viewerId, targetId);
    return visibility === 'full' ? toPublicUserView(user) : toUserCard(user);
  }

  /** GET /users/:id/profile: 404 when hidden, 403 PROFILE_NOT_VISIBLE when the viewer may only see the card. */
  async getUserProfile(viewerId: string, targetId: string): Promise<PublicProfileView | OwnProfileView> {
    if (viewerId === targetId) return this.getMyProfile(viewerId);
    const { visibility } = await this.visibilityOf(viewerId, targetId);
    if (visibility !== 'full') throw PeopleErrors.profileNotVisible();
    const em = freshEm(this.orm);
    const profile = await this.profiles.findProfile(em, targetId);
    return toPublicProfileView(targetId, profile, profile ? await this.countryOf(profile, em) : null);
  }

  private async visibilityOf(viewerId: string, targetId: string): Promise<{ user: User; visibility: Visibility }> {
    const em = freshEm(this.orm);
    const user = await this.profiles.findUser(em, targetId);
    if (!user) throw PeopleErrors.userNotFound();
    const friendship = viewerId === targetId ? null : await this.friendships.findBetween(em, viewerId, targetId);
    const visibility = decideVisibility(user, relationOf(viewerId, targetId, friendship));
    if (visibility === 'hidden') throw PeopleErrors.userNotFound();
    return { user, visibility };
  }

  private async activeUser(em: EntityManager, userId: string): Promise<User> {
    const user = await this.profiles.findUser(em, userId);
    if (!user || !user.isActive) throw PeopleErrors.userNotFound();
    return user;
  }

  private countryOf(profile: UserProfile, em: EntityManager) {
    return profile.country ? this.countries.findByCode(em, profile.country) : Promise.resolve(null);
  }
}
