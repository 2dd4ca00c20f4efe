// A shipped migration seeds from this list: never edit an entry; add categories in a new migration.
import { createHash } from 'node:crypto';

/** Namespace of the default categories' ids (fixed; never change it). */
const CATEGORY_NAMESPACE = '8d6e2a41-5c3b-4f0e-b1a7-2e9c4d7f6a10';

/** The id of a default category: a UUID v5 of its slug, so every deployment seeds the same ids. */
export function categoryId(slug: string): string {
  const ns = Buffer.from(CATEGORY_NAMESPACE.replace(/-/g, ''), 'hex');
  const b = Buffer.from(createHash('sha1').update(ns).update(slug, 'utf8').digest().subarray(0, 16));
  b[6] = (b[6] & 0x0f) | 0x50;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export interface DefaultCategory {
  slug: string;
  name: string;
  icon: string;
  color: string;
  /** The parent's slug. */
  parent?: string;
}

const top = (slug: string, name: string, icon: string, color: string): DefaultCategory => ({ slug, name, icon, color });
const sub = (parent: DefaultCategory, slug: string, name: string, icon: string): DefaultCategory => ({ slug, name, icon, color: parent.color, parent: parent.slug });

const food = top('food-and-drink', 'Food & drink', 'utensils', '#e8590c');
const transport = top('transport', 'Transport', 'car', '#1c7ed6');
const home = top('home', 'Home', 'home', '#2f9e44');
const utilities = top('utilities', 'Utilities', 'bolt', '#f59f00');
const entertainment = top('entertainment', 'Entertainment', 'film', '#ae3ec9');
const travel = top('travel', 'Travel', 'plane', '#0ca678');
const shopping = top('shopping', 'Shopping', 'shopping-bag', '#d6336c');
const health = top('health', 'Health', 'heart', '#e03131');
const education = top('education', 'Education', 'book', '#4263eb');
const personal = top('personal', 'Personal', 'user', '#868e96');
const general = top('general', 'General', 'tag', '#007bff');

/** The default tree, parents before children. Every default is shared (`user_id` NULL) and `is_default`. */
export const DEFAULT_CATEGORIES: readonly DefaultCategory[] = [
  food, sub(food, 'groceries', 'Groceries', 'shopping-cart'), sub(food, 'restaurants', 'Restaurants', 'utensils'),
  sub(food, 'coffee', 'Coffee', 'coffee'), sub(food, 'bars', 'Bars & drinks', 'glass'),
  transport, sub(transport, 'fuel', 'Fuel', 'gas-pump'), sub(transport, 'public-transport', 'Public transport', 'bus'),
  sub(transport, 'taxi', 'Taxi & rideshare', 'taxi'), sub(transport, 'parking', 'Parking', 'parking'), sub(transport, 'car-maintenance', 'Car maintenance', 'wrench'),
  home, sub(home, 'rent', 'Rent', 'key'), sub(home, 'mortgage', 'Mortgage', 'building'), sub(home, 'furniture', 'Furniture', 'couch'),
  sub(home, 'household-supplies', 'Household supplies', 'spray-can'), sub(home, 'maintenance', 'Repairs & maintenance', 'hammer'),
  utilities, sub(utilities, 'electricity', 'Electricity', 'bolt'), sub(utilities, 'gas-heating', 'Gas & heating', 'fire'),
  sub(utilities, 'water', 'Water', 'tint'), sub(utilities, 'internet', 'Internet', 'wifi'), sub(utilities, 'phone', 'Phone', 'phone'),
  entertainment, sub(entertainment, 'movies', 'Movies', 'film'), sub(entertainment, 'music', 'Music', 'music'),
  sub(entertainment, 'games', 'Games', 'gamepad'), sub(entertainment, 'sports', 'Sports', 'futbol'), sub(entertainment, 'subscriptions', 'Subscriptions', 'repeat'),
  travel, sub(travel, 'flights', 'Flights', 'plane'), sub(travel, 'hotels', 'Hotels', 'bed'), sub(travel, 'car-rental', 'Car rental', 'car'),
  sub(travel, 'activities', 'Activities & tours', 'map'),
  shopping, sub(shopping, 'clothing', 'Clothing', 'tshirt'), sub(shopping, 'electronics', 'Electronics', 'laptop'), sub(shopping, 'gifts', 'Gifts', 'gift'),
  health, sub(health, 'medical', 'Medical', 'stethoscope'), sub(health, 'pharmacy', 'Pharmacy', 'pills'), sub(health, 'fitness', 'Fitness', 'dumbbell'),
  sub(health, 'insurance', 'Insurance', 'shield'),
  education, sub(education, 'tuition', 'Tuition', 'graduation-cap'), sub(education, 'books', 'Books', 'book'),
  personal, sub(personal, 'personal-care', 'Personal care', 'cut'), sub(personal, 'childcare', 'Childcare', 'child'), sub(personal, 'pets', 'Pets', 'paw'),
  general, sub(general, 'fees', 'Fees & charges', 'receipt'), sub(general, 'other', 'Other', 'ellipsis-h'),
];
