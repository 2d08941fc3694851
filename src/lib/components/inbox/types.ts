/** Shapes the conversation view's components share (what the page load hands down). */

export interface MemberOption {
	id: string;
	name: string;
	role: string;
}

export interface CannedOption {
	id: string;
	shortcut: string;
	body: string;
}

/** The platform facts the reply box needs (src/lib/platforms.ts), as the page load hands them down. */
export interface ReplyRules {
	maxTextLength: number;
	/** Set where the platform also counts UTF-8 bytes (Instagram); null otherwise. */
	maxTextBytes: number | null;
	replyWindowHours: number | null;
	/** The tagged window after the normal one (Meta's HUMAN_AGENT: 7 days); null when there is none. */
	extendedReplyWindowHours: number | null;
	orders: boolean;
}

export interface Me {
	id: string;
	name: string;
	role: string;
}
