import { Country } from './country.entity';
import { UserDevice } from './device.entity';
import { UserFriendship } from './friendship.entity';
import { UserProfile } from './user-profile.entity';

/** Entities of the people module (profiles, countries, friendships, devices). */
export const peopleEntities: Function[] = [UserProfile, Country, UserFriendship, UserDevice];
