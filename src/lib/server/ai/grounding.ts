import type { Queryable } from '../db.ts';
import type { HistoryMessage } from '../messages.ts';

/**
 * What grounds a draft besides the conversation: the shop's canned responses that fit what the
 * customer asked, retrieved by relevance in PostgreSQL (never the whole table): full-text search
 * ('simple' configuration, indexed in migration 0016: words in any language written with spaces) or
 * trigram similarity (Thai, written without spaces between words), over the workspace's own canned
 * responses only; the model sees the best three.
 */

/** Canned responses the model sees at most. */
export const CANNED_SHOWN = 3;
/** Below this trigram similarity a canned response is not about the customer's words. */
const MIN_SIMILARITY = 0.08;
const QUERY_CHARS = 500;
const QUERY_WORDS = 24;

export interface CannedHint {
	shortcut: string;
	body: string;
}

/** What the customer asked lately: their last three messages with text, newest last, at most 500 characters. */
export function searchText(messages: Pick<HistoryMessage, 'direction' | 'body'>[]): string {
	const recent = messages
		.filter((m) => m.direction === 'in' && m.body.trim())
		.slice(-3)
		.map((m) => m.body.trim())
		.join('\n');
	return [...recent].slice(-QUERY_CHARS).join('');
}

/** An OR of the text's words as a tsquery ('' when it has none): letters and digits only, so nothing in it is tsquery syntax. */
export function anyWordQuery(text: string): string {
	const words = new Set((text.toLowerCase().match(/[\p{L}\p{N}]{2,}/gu) ?? []).slice(0, 200));
	return [...words].slice(0, QUERY_WORDS).join(' | ');
}

/** The workspace's canned responses most relevant to `text`, best first; none when nothing fits. */
export async function relevantCanned(db: Queryable, workspaceId: string, text: string): Promise<CannedHint[]> {
	if (!text.trim()) return [];
	const { rows } = await db.query<CannedHint>(
		`with q as (select case when $3 = '' then null else to_tsquery('simple', $3) end as words)
		 select shortcut, body
		   from canned_responses, q
		  where workspace_id = $1
		    and (to_tsvector('simple', body) @@ q.words or similarity(body, $2) >= $4)
		  order by coalesce(ts_rank_cd(to_tsvector('simple', body), q.words), 0) + similarity(body, $2) desc, shortcut
		  limit ${CANNED_SHOWN}`,
		[workspaceId, text, anyWordQuery(text), MIN_SIMILARITY]
	);
	return rows;
}
