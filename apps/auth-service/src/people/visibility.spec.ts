import { VisibilityTarget, decideVisibility, relationOf } from './visibility';

const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';

const target = (over: Partial<VisibilityTarget> = {}): VisibilityTarget => ({ isActive: true, isVerified: true, profileVisibility: 'friends', ...over });

describe('relationOf', () => {
  it('is self for the same id, whatever the row', () => {
    expect(relationOf(A, A, null)).toBe('self');
  });

  it('maps the friendship row between viewer and target', () => {
    expect(relationOf(A, B, null)).toBe('none');
    expect(relationOf(A, B, { status: 'pending' })).toBe('none');
    expect(relationOf(A, B, { status: 'declined' })).toBe('none');
    expect(relationOf(A, B, { status: 'accepted' })).toBe('friends');
    expect(relationOf(A, B, { status: 'blocked' })).toBe('blocked');
  });
});

describe('decideVisibility', () => {
  it.each([
    // visibility, relation, expected
    ['public', 'none', 'full'],
    ['public', 'friends', 'full'],
    ['friends', 'none', 'card'],
    ['friends', 'friends', 'full'],
    ['private', 'none', 'card'],
    ['private', 'friends', 'card'],
  ] as const)('%s profile seen by a viewer with relation %s: %s', (profileVisibility, relation, expected) => {
    expect(decideVisibility(target({ profileVisibility }), relation)).toBe(expected);
  });

  it('hides both sides of a block, whatever the visibility, as if the user did not exist', () => {
    for (const profileVisibility of ['public', 'friends', 'private'] as const) {
      expect(decideVisibility(target({ profileVisibility }), 'blocked')).toBe('hidden');
    }
  });

  it('hides deactivated and unverified accounts from others', () => {
    expect(decideVisibility(target({ profileVisibility: 'public', isActive: false }), 'friends')).toBe('hidden');
    expect(decideVisibility(target({ profileVisibility: 'public', isVerified: false }), 'none')).toBe('hidden');
  });

  it('always shows users themselves in full, even a private profile', () => {
    expect(decideVisibility(target({ profileVisibility: 'private' }), 'self')).toBe('full');
  });
});
