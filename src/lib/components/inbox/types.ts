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

export interface ReplyRules {
	maxTextLength: number;
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
