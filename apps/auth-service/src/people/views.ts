import { User } from '../users/user.entity';
import { Country } from './country.entity';
import { UserDevice } from './device.entity';
import { UserProfile } from './user-profile.entity';
import { ProfileVisibility } from './visibility';

const iso = (d: Date | string | null | undefined): string | null => (d == null ? null : new Date(d).toISOString());
const dateOnly = (d: Date | string | null | undefined): string | null =>
  d == null ? null : typeof d === 'string' ? d.slice(0, 10) : d.toISOString().slice(0, 10);

/** What anyone who may see a user at all sees: enough to recognise them, nothing more. */
export interface UserCard {
  id: string;
  username: string;
  firstName: string | null;
  /** false: the user's profile_visibility keeps the rest from this viewer. */
  detailsVisible: false;
}

/** Public fields: never email, phone, date of birth, role, login or lockout data. */
export interface PublicUserView {
  id: string;
  username: string;
  firstName: string | null;
  lastName: string | null;
  avatar: string | null;
  bio: string | null;
  preferredCurrency: string;
  timezone: string;
  profileVisibility: ProfileVisibility;
  dateJoined: string;
  detailsVisible: true;
}

/** The user's own account fields: GET and PATCH /users/me, register, verify and login all answer with it. */
export interface OwnUserView {
  id: string;
  username: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
  phoneNumber: string | null;
  avatar: string | null;
  bio: string | null;
  dateOfBirth: string | null;
  preferredCurrency: string;
  timezone: string;
  profileVisibility: ProfileVisibility;
  userNotificationPreferences: Record<string, unknown>;
  role: string;
  isVerified: boolean;
  isPremium: boolean;
  dateJoined: string;
  lastLogin: string | null;
  updatedAt: string;
}

export interface PublicProfileView {
  userId: string;
  occupation: string | null;
  company: string | null;
  website: string | null;
  /** ISO 3166-1 alpha-2 code. */
  country: string | null;
  countryName: string | null;
  city: string | null;
  socialLinks: Record<string, string>;
}

/** The owner also sees the denormalized totals (spending is nobody else's business). */
export interface OwnProfileView extends PublicProfileView {
  id: string;
  /** NUMERIC(15,2) as a decimal string. */
  totalExpenses: string;
  totalGroups: number;
  expenseCount: number;
  createdAt: string;
  updatedAt: string;
}

export interface DeviceView {
  id: string;
  deviceType: string;
  deviceName: string | null;
  /** The push token is never returned in full: `abcdef…wxyz`. */
  tokenPreview: string;
  isActive: boolean;
  lastUsed: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface CountryView {
  id: string;
  code: string;
  name: string;
  phoneCode: string | null;
  flagEmoji: string | null;
  /** Default currency, ISO 4217 (not in the seed; see the migration). */
  currencyCode: string | null;
  /** expense-service's currency id; null until that reference is projected here. */
  currencyId: string | null;
}

export function toUserCard(u: Pick<User, 'id' | 'username' | 'firstName'>): UserCard {
  return { id: u.id, username: u.username, firstName: u.firstName ?? null, detailsVisible: false };
}

export function toPublicUserView(u: User): PublicUserView {
  return {
    id: u.id, username: u.username, firstName: u.firstName ?? null, lastName: u.lastName ?? null, avatar: u.avatar ?? null,
    bio: u.bio ?? null, preferredCurrency: u.preferredCurrency, timezone: u.timezone, profileVisibility: u.profileVisibility,
    dateJoined: iso(u.dateJoined)!, detailsVisible: true,
  };
}

export function toOwnUserView(u: User): OwnUserView {
  return {
    id: u.id, username: u.username, email: u.email, firstName: u.firstName ?? null, lastName: u.lastName ?? null,
    phoneNumber: u.phoneNumber ?? null, avatar: u.avatar ?? null, bio: u.bio ?? null, dateOfBirth: dateOnly(u.dateOfBirth),
    preferredCurrency: u.preferredCurrency, timezone: u.timezone, profileVisibility: u.profileVisibility,
    userNotificationPreferences: u.userNotificationPreferences ?? {}, role: u.role, isVerified: u.isVerified, isPremium: u.isPremium,
    dateJoined: iso(u.dateJoined)!, lastLogin: iso(u.lastLogin), updatedAt: iso(u.updatedAt)!,
  };
}

/** A profile as others see it; `profile` null means the user has none yet (all fields empty). */
export function toPublicProfileView(userId: string, p: UserProfile | null, country: Country | null): PublicProfileView {
  return {
    userId, occupation: p?.occupation ?? null, company: p?.company ?? null, website: p?.website ?? null,
    country: p?.country ?? null, countryName: p?.country ? (country?.name ?? null) : null, city: p?.city ?? null,
    socialLinks: p?.socialLinks ?? {},
  };
}

export function toOwnProfileView(p: UserProfile, country: Country | null): OwnProfileView {
  return {
    id: p.id, ...toPublicProfileView(p.userId, p, country), totalExpenses: String(p.totalExpenses),
    totalGroups: p.totalGroups, expenseCount: p.expenseCount, createdAt: iso(p.createdAt)!, updatedAt: iso(p.updatedAt)!,
  };
}

export function tokenPreview(token: string): string {
  return token.length >= 16 ? `${token.slice(0, 6)}…${token.slice(-4)}` : '…';
}

export function toDeviceView(d: UserDevice): DeviceView {
  return {
    id: d.id, deviceType: d.deviceType, deviceName: d.deviceName ?? null, tokenPreview: tokenPreview(d.deviceToken),
    isActive: d.isActive, lastUsed: iso(d.lastUsed), createdAt: iso(d.createdAt)!, updatedAt: iso(d.updatedAt)!,
  };
}

export function toCountryView(c: Country): CountryView {
  return {
    id: c.id, code: c.code, name: c.name, phoneCode: c.phoneCode ?? null, flagEmoji: c.flagEmoji ?? null,
    currencyCode: c.currencyCode ?? null, currencyId: c.currencyId ?? null,
  };
}
