/** Entities of the people module (profiles, countries, friendships, devices). */
export const peopleEntities: Function[] = [];
