import { ProblemDetailsFilter } from '@tally/service-kit';
import { GroupErrors, GroupException } from './group.exceptions';

/** Sample arguments for the factories that take some. */
const ARGS: Partial<Record<keyof typeof GroupErrors, unknown[]>> = {
  adminRequired: ['edit the group'],
  memberHasBalance: [[{ currency: 'EUR', balance: '-12.50' }]],
  invitationNotPending: ['accepted'],
  badExpiry: ['expiresAt must be in the future'],
};

describe('GroupErrors as problem+json', () => {
  const filter = new ProblemDetailsFilter();

  it.each(Object.keys(GroupErrors) as (keyof typeof GroupErrors)[])('%s keeps its HTTP status and code in the problem', (name) => {
    const err = (GroupErrors[name] as (...a: unknown[]) => GroupException)(...(ARGS[name] ?? []));
    const body = filter.toProblem(err);
    // An extra field named like a problem member (status, code, type, title) would replace it, and the reply's status with it.
    expect({ status: body.status, code: body.code, type: body.type }).toEqual({
      status: err.status, code: err.code, type: `https://tally.dev/problems/${err.code.toLowerCase().replace(/_/g, '-')}`,
    });
    expect(Number.isInteger(body.status) && body.status >= 400 && body.status < 500).toBe(true);
  });

  it('names what is not pending, and the open balances', () => {
    expect(filter.toProblem(GroupErrors.invitationNotPending('declined'))).toMatchObject({ status: 409, code: 'INVITATION_NOT_PENDING', invitationStatus: 'declined' });
    expect(filter.toProblem(GroupErrors.memberHasBalance([{ currency: 'EUR', balance: '-12.50' }]))).toMatchObject({
      status: 409, code: 'MEMBER_HAS_BALANCE', balances: [{ currency: 'EUR', balance: '-12.50' }], detail: expect.stringContaining('-12.50 EUR'),
    });
  });
});
