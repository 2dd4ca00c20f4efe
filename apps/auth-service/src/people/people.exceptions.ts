import { HttpStatus } from '@nestjs/common';
import { DomainException } from '@tally/service-kit';

export enum PeopleExceptionCode {
  /** Also what a blocked user gets for the one who blocked them, so a block is never revealed. */
  UserNotFound = 'USER_NOT_FOUND',
  ProfileNotVisible = 'PROFILE_NOT_VISIBLE',
  InvalidId = 'INVALID_ID',
  UnknownCountry = 'UNKNOWN_COUNTRY',
  CountryNotFound = 'COUNTRY_NOT_FOUND',
  InvalidCountryCode = 'INVALID_COUNTRY_CODE',
  FriendshipWithSelf = 'FRIENDSHIP_WITH_SELF',
  FriendshipExists = 'FRIENDSHIP_EXISTS',
  FriendshipNotFound = 'FRIENDSHIP_NOT_FOUND',
  NotFriendshipRecipient = 'NOT_FRIENDSHIP_RECIPIENT',
  FriendshipNotPending = 'FRIENDSHIP_NOT_PENDING',
  DeviceNotFound = 'DEVICE_NOT_FOUND',
  PushEndpointNotAllowed = 'PUSH_ENDPOINT_NOT_ALLOWED',
}

export class PeopleException extends DomainException {
  constructor(code: PeopleExceptionCode, message: string, status: number, extra: Record<string, unknown> = {}) {
    super(code, message, status, extra);
  }
}

const C = PeopleExceptionCode;

export const PeopleErrors = {
  userNotFound: () => new PeopleException(C.UserNotFound, 'User not found.', HttpStatus.NOT_FOUND),
  profileNotVisible: () =>
    new PeopleException(C.ProfileNotVisible, "This user's profile is visible only to them or their friends.", HttpStatus.FORBIDDEN),
  invalidId: (name = 'id') => new PeopleException(C.InvalidId, `${name} must be a UUID.`, HttpStatus.BAD_REQUEST),
  unknownCountry: () =>
    new PeopleException(C.UnknownCountry, 'country must be an ISO 3166-1 alpha-2 code or the name of a country in GET /api/v1/countries.', HttpStatus.BAD_REQUEST, {
      errors: [{ field: 'country', message: 'country is not a known country code or name' }],
    }),
  countryNotFound: () => new PeopleException(C.CountryNotFound, 'No country with that code.', HttpStatus.NOT_FOUND),
  invalidCountryCode: () => new PeopleException(C.InvalidCountryCode, 'A country code is two letters (ISO 3166-1 alpha-2).', HttpStatus.BAD_REQUEST),
  friendshipWithSelf: () => new PeopleException(C.FriendshipWithSelf, 'You cannot send a friend request to yourself.', HttpStatus.BAD_REQUEST),
  friendshipExists: () =>
    new PeopleException(C.FriendshipExists, 'A friend request or friendship with this user already exists.', HttpStatus.CONFLICT),
  friendshipNotFound: () => new PeopleException(C.FriendshipNotFound, 'Friendship not found.', HttpStatus.NOT_FOUND),
  notRecipient: () =>
    new PeopleException(C.NotFriendshipRecipient, 'Only the user who received the request can accept or decline it.', HttpStatus.FORBIDDEN),
  notPending: () => new PeopleException(C.FriendshipNotPending, 'This friend request is no longer pending.', HttpStatus.CONFLICT),
  deviceNotFound: () => new PeopleException(C.DeviceNotFound, 'Device not found.', HttpStatus.NOT_FOUND),
  pushEndpointNotAllowed: (why: string) =>
    new PeopleException(C.PushEndpointNotAllowed, `The push subscription's ${why}.`, HttpStatus.BAD_REQUEST, {
      errors: [{ field: 'deviceToken', message: `deviceToken ${why}` }],
    }),
};
