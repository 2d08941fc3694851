import type { Actions, PageServerLoad } from './$types';
import { changeRole, createInvitation, invitationUrl, inviteInput, listInvitations, listMembers, removeMember, revokeInvitation } from '$lib/server/accounts';
import { audit } from '$lib/server/audit';
import { clientIp } from '$lib/server/http/request';
import { isUuid, PERMISSIONS, ROLES, type Permission, type Role } from '$lib/server/scope';
import { mailContext, services } from '$lib/server/services';
import { refusedWith } from '$lib/server/errors';
import { accountErrorMessage, type MessageKey, type PlainKey } from '$lib/i18n';
import { accountRefusal, failure, refused, text } from '../../../../form';
import { workspaceScope } from '../../scope';

/**
 * What each role may do, read from the one role table (PERMISSIONS). A new permission needs only
 * its `permission.<key>` string in the catalogs; this line fails the type check until it has one.
 */
const permissionLabel = (permission: Permission) => `permission.${permission}` as const satisfies MessageKey;
const roleTable = (Object.keys(PERMISSIONS) as Permission[]).map((permission) => ({
	permission,
	label: permissionLabel(permission),
	roles: ROLES.filter((role) => (PERMISSIONS[permission] as readonly Role[]).includes(role))
}));

export const load: PageServerLoad = async (event) => {
	const scope = await workspaceScope(event);
	const { db } = services();
	const [members, invitations] = await Promise.all([
		listMembers(db, scope),
		scope.can('manageMembers') ? listInvitations(db, scope) : Promise.resolve([])
	]);
	return { members, invitations, me: scope.userId, myRole: scope.role, roles: ROLES, roleTable };
};

/** What each refusal of the members service shows. */
function refusal(error: unknown): PlainKey | null {
	const reason = accountRefusal(error);
	if (reason) return accountErrorMessage[reason];
	if (refusedWith(error, 'forbidden')) return 'form.error.forbidden';
	if (refusedWith(error, 'not_found')) return 'form.error.notFound';
	return null;
}

function refusalStatus(error: unknown): number {
	if (refusedWith(error, 'not_found')) return 404;
	if (refusedWith(error, 'last_owner')) return 409;
	return 403;
}

const isRole = (value: string): value is Role => (ROLES as readonly string[]).includes(value);
const done = (success: PlainKey) => ({ form: 'members' as const, success });
const membersForm = { form: 'members' as const };

export const actions: Actions = {
	invite: async (event) => {
		const scope = await workspaceScope(event);
		const data = await event.request.formData();
		const values = { form: 'invite' as const, inviteEmail: text(data, 'email'), inviteRole: text(data, 'role'), inviteLocale: text(data, 'locale') };
		const parsed = inviteInput.safeParse({ email: values.inviteEmail.trim(), role: values.inviteRole, locale: values.inviteLocale || undefined });
		if (!parsed.success) {
			const errors: Partial<Record<string, PlainKey>> = {};
			for (const issue of parsed.error.issues) errors[String(issue.path[0])] = issue.path[0] === 'email' ? 'field.error.email' : 'form.error.invalid';
			return failure(400, values, 'form.error.invalid', errors);
		}
		try {
			const mail = mailContext(event.url.origin);
			const { token, invitation, delivery } = await createInvitation(services().db, scope, parsed.data, clientIp(event), mail);
			return { form: 'invite' as const, invite: { url: invitationUrl(mail.origin, token), role: invitation.role, email: invitation.email, delivery } };
		} catch (error) {
			const key = refusal(error);
			if (key) return failure(refusalStatus(error), values, key);
			return refused(error, values);
		}
	},

	revokeInvitation: async (event) => {
		const scope = await workspaceScope(event);
		const id = text(await event.request.formData(), 'invitationId');
		if (!isUuid(id)) return failure(404, membersForm, 'form.error.notFound');
		const { db } = services();
		try {
			await revokeInvitation(db, scope, id);
		} catch (error) {
			const key = refusal(error);
			if (key) return failure(refusalStatus(error), membersForm, key);
			return refused(error, membersForm);
		}
		// The service does not log revocations; role changes, removals and invitations it logs itself.
		await audit(db, { workspaceId: scope.workspaceId, actorId: scope.userId, action: 'member.invitation_revoked', targetType: 'invitation', targetId: id, ip: clientIp(event) });
		return done('invites.revoked');
	},

	changeRole: async (event) => {
		const scope = await workspaceScope(event);
		const data = await event.request.formData();
		const userId = text(data, 'userId');
		const role = text(data, 'role');
		if (!isUuid(userId) || !isRole(role)) return failure(400, membersForm, 'form.error.invalid');
		try {
			await changeRole(services().db, scope, userId, role, clientIp(event));
		} catch (error) {
			const key = refusal(error);
			if (key) return failure(refusalStatus(error), membersForm, key);
			return refused(error, membersForm);
		}
		return done('members.roleChanged');
	},

	remove: async (event) => {
		const scope = await workspaceScope(event);
		const userId = text(await event.request.formData(), 'userId');
		if (!isUuid(userId)) return failure(400, membersForm, 'form.error.invalid');
		try {
			await removeMember(services().db, scope, userId, clientIp(event));
		} catch (error) {
			const key = refusal(error);
			if (key) return failure(refusalStatus(error), membersForm, key);
			return refused(error, membersForm);
		}
		return done('members.removed');
	}
};
