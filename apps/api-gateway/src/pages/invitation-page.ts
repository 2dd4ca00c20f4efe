import type { FastifyInstance } from 'fastify';
import { RatePolicies } from '../rate-limit/policies';
import { RateLimiter } from '../rate-limit/rate-limiter';
import { escapeHtml, p, pageRateLimited, sendPage } from './page';

/**
 * The page a group invitation email links to, `/invitations/<id>`, until a web client exists. It
 * holds no secret and shows nothing about the invitation (anyone may open any id): it says how to
 * accept. Accepting needs the account whose verified email address the invitation was sent to,
 * signed in, so opening the link changes nothing. Same headers as the email-link pages: no script,
 * never cached, never framed, no referrer.
 */
export interface InvitationPageDeps {
  limiter?: RateLimiter;
  policies: RatePolicies;
}

export const INVITATION_PAGE = '/invitations/:id';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const code = (text: string) => `<code>${escapeHtml(text)}</code>`;

export function invitationPageBody(id: string): string {
  const api = `/api/v1/invitations/${id}`;
  return [
    p('Someone invited you to join a group on Tally, where you share expenses and settle up together. The email that brought you here says which group and who invited you.'),
    p(`To accept, sign in to Tally with the email address the invitation was sent to, and accept invitation ${id}.`),
    p('No Tally account with that address yet? Create one with that email address and verify it first, then accept the invitation.'),
    p('Opening this page changes nothing. The invitation expires at the time given in the email; if you do not want to join, decline it or let it expire.'),
    `<p class="note">For apps: signed in as that account, accept with ${code(`POST ${api}/accept`)} (with its access token), or decline with ${code(`POST ${api}/decline`)}.</p>`,
  ].join('\n');
}

export function installInvitationPage(fastify: FastifyInstance, deps: InvitationPageDeps): void {
  fastify.get(INVITATION_PAGE, async (req, reply) => {
    if (await pageRateLimited(deps, req, reply, 'anonymousIp')) return reply;
    const id = (req.params as { id?: string }).id ?? '';
    if (!UUID.test(id)) {
      return sendPage(reply, 404, 'Invitation not found', p("This invitation link is not valid. Copy the whole link from the email into your browser's address bar."));
    }
    return sendPage(reply, 200, 'You are invited to a Tally group', invitationPageBody(id.toLowerCase()));
  });
}
