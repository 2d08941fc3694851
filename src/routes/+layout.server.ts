import type { LayoutServerLoad } from './$types';

/** The language of every page, and who is signed in (for the header and the invite page). */
export const load: LayoutServerLoad = ({ locals }) => {
	const p = locals.principal;
	return {
		locale: locals.locale,
		user: p ? { id: p.userId, name: p.name, email: p.email } : null
	};
};
