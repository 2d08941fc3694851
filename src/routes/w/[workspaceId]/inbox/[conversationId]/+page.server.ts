import type { PageServerLoad } from './$types';
import { getConversationDetail } from '$lib/server/contacts';
import { markRead } from '$lib/server/conversations';
import { services } from '$lib/server/services';
import { error } from '@sveltejs/kit';
import { refusedWith } from '$lib/server/errors';
import type { Platform } from '$lib/platforms';
import { replyRulesFor } from '$lib/components/inbox/reply-rules';
import { workspaceScope } from '../../scope';

/** One open conversation: its customer, and the platform's rules the reply box shows before sending. */
export const load: PageServerLoad = async (event) => {
	const scope = await workspaceScope(event);
	const { db, platforms } = services();
	try {
		const detail = await getConversationDetail(db, scope, event.params.conversationId);
		await markRead(db, scope, detail.conversation.id);
		const platform = detail.conversation.platform as Platform;
		return { detail, rules: replyRulesFor(platform, platforms.describe(platform).orders) };
	} catch (cause) {
		if (refusedWith(cause, 'not_found', 'forbidden')) error(404, { message: 'Not found', code: 'not_found' });
		throw cause;
	}
};
