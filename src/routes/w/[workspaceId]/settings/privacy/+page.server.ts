import { redirect } from '@sveltejs/kit';
import { z } from 'zod';
import type { Actions, PageServerLoad } from './$types';
import { throttleLogin } from '$lib/server/auth/throttle';
import { refusedWith } from '$lib/server/errors';
import { clearSessionCookie } from '$lib/server/http/cookies';
import { clientIp, isSecure } from '$lib/server/http/request';
import { readAuditLog, type AuditLogPage } from '$lib/server/privacy/audit-log';
import { deleteAccount, requestWorkspaceDeletion } from '$lib/server/privacy/deletion';
import { deletionContext } from '$lib/server/privacy/http';
import { purgeSoon } from '$lib/server/privacy/jobs';
import { MAX_RETENTION_DAYS } from '$lib/server/privacy/retention';
import { getWorkspaceSettings, updateWorkspaceSettings } from '$lib/server/privacy/settings';
import { services } from '$lib/server/services';
import { accountRefusal, failure, refused, text } from '../../../../form';
import { workspaceScope } from '../../scope';

export const load: PageServerLoad = async (event) => {
	const scope = await workspaceScope(event);
	const { db } = services();
	const before = Number(event.url.searchParams.get('before')) || undefined;
	// Opening the audit log is itself recorded in it (readAuditLog writes the entry).
	const audit: AuditLogPage | null = scope.can('manageWorkspace') ? await readAuditLog(db, scope, { before, limit: 100 }, clientIp(event)) : null;
	return {
		settings: await getWorkspaceSettings(db, scope),
		maxRetentionDays: MAX_RETENTION_DAYS,
		audit,
		canManage: scope.can('manageWorkspace'),
		canOwn: scope.can('ownWorkspace'),
		viaSession: scope.principal.kind === 'session'
	};
};

const retentionDays = z.coerce.number().int().min(1).max(MAX_RETENTION_DAYS);

export const actions: Actions = {
	retention: async (event) => {
		const scope = await workspaceScope(event);
		const values = { form: 'retention' as const, retentionDays: text(await event.request.formData(), 'retentionDays') };
		if (!scope.can('manageWorkspace')) return failure(403, values, 'form.error.forbidden');
		const days = retentionDays.safeParse(values.retentionDays);
		if (!days.success) return failure(400, values, 'form.error.invalid', { retentionDays: 'privacy.error.retention' });
		await updateWorkspaceSettings(services().db, scope, { retentionDays: days.data }, clientIp(event));
		return { form: 'retention' as const, success: 'privacy.retention.saved' as const };
	},

	deleteWorkspace: async (event) => {
		const scope = await workspaceScope(event);
		const values = { form: 'deleteWorkspace' as const, confirmName: text(await event.request.formData(), 'confirmName') };
		if (!scope.can('ownWorkspace')) return failure(403, values, 'form.error.forbidden');
		const ctx = deletionContext(event);
		try {
			await requestWorkspaceDeletion(ctx, scope, values.confirmName);
		} catch (error) {
			if (refusedWith(error, 'name_mismatch')) return failure(400, values, 'form.error.invalid', { confirmName: 'privacy.error.nameMismatch' });
			return refused(error, values);
		}
		purgeSoon(ctx.db, [scope.workspaceId]);
		redirect(303, '/');
	},

	deleteAccount: async (event) => {
		const scope = await workspaceScope(event);
		const principal = scope.principal;
		const password = text(await event.request.formData(), 'password');
		const values = { form: 'deleteAccount' as const, workspaces: [] as string[] };
		if (principal.kind !== 'session') return failure(403, values, 'form.error.forbidden');
		const ctx = deletionContext(event);
		let closed: string[];
		try {
			await throttleLogin(ctx.db, clientIp(event), principal.email);
			closed = (await deleteAccount(ctx, principal, password)).closedWorkspaces;
		} catch (error) {
			if (refusedWith(error, 'rate_limited')) return failure(429, values, 'form.error.rateLimited');
			if (accountRefusal(error)) return failure(400, values, 'form.error.invalid', { password: 'privacy.error.password' });
			if (refusedWith(error, 'sole_owner')) {
				const { workspaces } = error.details as { workspaces: { name: string }[] };
				return failure(409, { ...values, workspaces: workspaces.map((w) => w.name) }, 'privacy.error.soleOwner');
			}
			return refused(error, values);
		}
		purgeSoon(ctx.db, closed);
		clearSessionCookie(event.cookies, isSecure(event.url));
		redirect(303, '/');
	}
};
