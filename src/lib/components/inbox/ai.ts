/** The reasons the AI cannot help (AiUnavailableReason on the server) and the words agents see for each. */
export type AiReason = 'unreachable' | 'model_missing' | 'timeout' | 'bad_response';

export const AI_REASON_KEYS = {
	unreachable: 'ai.unavailable.unreachable',
	model_missing: 'ai.unavailable.model_missing',
	timeout: 'ai.unavailable.timeout',
	bad_response: 'ai.unavailable.bad_response'
} as const satisfies Record<AiReason, string>;

/** A reason from the server or the document; anything unknown reads as a problem while writing. */
export function aiReason(value: unknown): AiReason {
	return typeof value === 'string' && value in AI_REASON_KEYS ? (value as AiReason) : 'bad_response';
}
