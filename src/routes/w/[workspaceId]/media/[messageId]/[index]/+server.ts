import { json } from '@sveltejs/kit';
import type { RequestHandler } from './$types';
import { fetchMedia, mediaUrl, MediaError } from '$lib/server/media';
import { connectionApiUrlsAllowed } from '$lib/server/outbound';
import { services } from '$lib/server/services';
import { workspaceScope } from '../../../scope';


/**
 * Image `index` of a message, fetched by the server for a member of this workspace (the inbox's
 * <img> points here, never at the platform's host). Not signed in → login; not a member → 404.
 */
export const GET: RequestHandler = async (event) => {
	const scope = await workspaceScope(event);
	const { db, config } = services();
	try {
		const url = await mediaUrl(db, scope, event.params.messageId, Number(event.params.index));
		const media = await fetchMedia(url, { allowInternal: connectionApiUrlsAllowed(config.env) });
		return new Response(media.body as BodyInit, {
			headers: {
				'content-type': media.contentType,
				'content-length': String(media.body.byteLength),
				'cache-control': 'private, max-age=86400',
				'content-security-policy': "default-src 'none'; sandbox",
				'content-disposition': 'inline'
			}
		});
	} catch (error) {
		if (error instanceof MediaError) return json({ error: { code: error.code, message: error.message } }, { status: error.status });
		throw error;
	}
};
