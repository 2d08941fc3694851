import { json } from '@sveltejs/kit';

/** Unknown API paths answer JSON, not the HTML error page. */
export const fallback = () => json({ error: { code: 'not_found', message: 'No such API route' } }, { status: 404 });
