import { json } from '@sveltejs/kit';
import { api, readJson, requireScope } from '$lib/server/http/api';
import { createInvitation, inviteInput, listInvitations } from '$lib/server/accounts';
import { clientIp } from '$lib/server/http/request';
import { services } from '$lib/server/services';

export const GET = api(async (event) => {
	const scope = await requireScope(event, 'manageMembers');
	return { invitations: await listInvitations(services().db, scope) };
});

export const POST = api(async (event) => {
	const scope = await requireScope(event, 'manageMembers');
	const input = await readJson(event, inviteInput);
	const { token, invitation } = await createInvitation(services().db, scope, input, clientIp(event));
	return json({ invitation, url: `${event.url.origin}/invite/${token}` }, { status: 201 });
});
