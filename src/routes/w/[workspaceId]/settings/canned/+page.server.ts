import type { Actions, PageServerLoad } from './$types';
import { cannedInput, createCanned, deleteCanned, listCanned, updateCanned } from '$lib/server/canned';
import { refusedWith } from '$lib/server/errors';
import { services } from '$lib/server/services';
import { failure, refused, text } from '../../../../form';
import { workspaceScope } from '../../scope';

export const load: PageServerLoad = async (event) => {
	const scope = await workspaceScope(event);
	return { canned: await listCanned(services().db, scope), canManage: scope.can('manageWorkspace') };
};

/** Create and update share the checks; the form keeps what was typed when one fails. */
async function save(event: Parameters<Actions[string]>[0], mode: 'create' | 'update') {
	const scope = await workspaceScope(event);
	const data = await event.request.formData();
	const values = { form: mode, id: text(data, 'id'), shortcut: text(data, 'shortcut'), body: text(data, 'body') };
	if (!scope.can('manageWorkspace')) return failure(403, values, 'form.error.forbidden');
	const parsed = cannedInput.safeParse(values);
	if (!parsed.success) {
		const bad = new Set(parsed.error.issues.map((i) => i.path[0]));
		return failure(400, values, 'form.error.invalid', {
			...(bad.has('shortcut') ? { shortcut: 'inbox.canned.error.shortcut' as const } : {}),
			...(bad.has('body') ? { body: 'inbox.canned.error.body' as const } : {})
		});
	}
	const { db } = services();
	try {
		if (mode === 'create') await createCanned(db, scope, parsed.data);
		else await updateCanned(db, scope, values.id, parsed.data);
	} catch (error) {
		if (refusedWith(error, 'shortcut_taken')) return failure(409, values, 'inbox.canned.error.taken', { shortcut: 'inbox.canned.error.taken' });
		if (refusedWith(error, 'not_found', 'forbidden')) return failure(404, values, 'form.error.notFound');
		return refused(error, values);
	}
	return { form: mode, success: mode === 'create' ? ('inbox.canned.created' as const) : ('inbox.canned.updated' as const) };
}

export const actions: Actions = {
	create: (event) => save(event, 'create'),
	update: (event) => save(event, 'update'),
	delete: async (event) => {
		const scope = await workspaceScope(event);
		const id = text(await event.request.formData(), 'id');
		if (!scope.can('manageWorkspace')) return failure(403, { form: 'delete' as const }, 'form.error.forbidden');
		try {
			await deleteCanned(services().db, scope, id);
		} catch (error) {
			if (refusedWith(error, 'not_found', 'forbidden')) return failure(404, { form: 'delete' as const }, 'form.error.notFound');
			return refused(error, { form: 'delete' as const });
		}
		return { form: 'delete' as const, success: 'inbox.canned.deleted' as const };
	}
};
