import { nextAttempt } from './account.repository';

describe('nextAttempt (the lockout budget of one counter)', () => {
  it('reserves checks up to the threshold, in-flight ones included, then none', () => {
    expect(nextAttempt({ attempts: 0, lockedNow: false, stale: false }, 5)).toBe(1);
    expect(nextAttempt({ attempts: 4, lockedNow: false, stale: false }, 5)).toBe(5);
    expect(nextAttempt({ attempts: 5, lockedNow: false, stale: false }, 5)).toBeNull();
  });

  it('refuses while a lock is in force, whatever the count', () => {
    expect(nextAttempt({ attempts: 0, lockedNow: true, stale: false }, 5)).toBeNull();
  });

  it('starts again from zero once the counter is stale (lock over, or last attempt older than the lock duration)', () => {
    expect(nextAttempt({ attempts: 5, lockedNow: false, stale: true }, 5)).toBe(1);
  });
});
