import { json } from '@sveltejs/kit';
import { api, readJson, requireScope } from '$lib/server/http/api';
import { createInvitation, invitationUrl, inviteInput, listInvitations } from '$lib/server/accounts';
import { clientIp } from '$lib/server/http/request';
import { mailContext, services } from '$lib/server/services';

export const GET = api(async (event) => {
	const scope = await requireScope(event, 'manageMembers');
	return { invitations: await listInvitations(services().db, scope) };
});

export const POST = api(async (event) => {
	const scope = await requireScope(event, 'manageMembers');
	const input = await readJson(event, inviteInput);
	const mail = mailContext(event.url.origin);
	const { token, invitation, delivery } = await createInvitation(services().db, scope, input, clientIp(event), mail);
	return json({ invitation, url: invitationUrl(mail.origin, token), mail: delivery }, { status: 201 });
});
