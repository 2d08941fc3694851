import type { WindowMessage } from '../src/lib/conversation-doc.ts';

/** Messages per conversation in the memory bench (the window size). */
export const MESSAGES_PER_DOC = 50;

/**
 * The bodies of a conversation's 50 messages, the same in PostgreSQL (ChatMai) and in the vanilla
 * documents: customers write Thai with a few Latin words, agents answer in English, 40–110 characters.
 */
export const BODIES: string[] = Array.from({ length: MESSAGES_PER_DOC }, (_, k) => {
	const i = k + 1;
	return i % 2 === 0
		? `สวัสดีค่ะ เสื้อรุ่นนี้ size M สีน้ำเงินยังมีของไหมคะ ส่งกรุงเทพกี่วัน (#${i})`
		: `Hi! Yes, size M in blue is in stock. Orders placed before 2 pm ship the same day, 1–2 days to Bangkok. (#${i})`;
});

/** The bench's 50 messages for the vanilla documents, shaped like ChatMai's WindowMessage. */
export function benchMessages(seed: string): WindowMessage[] {
	const base = Date.UTC(2026, 0, 1);
	let h = 0;
	for (let i = 0; i < seed.length; i++) h = (h * 31 + seed.charCodeAt(i)) >>> 0;
	return BODIES.map((body, k) => {
		const out = (k + 1) % 2 === 1;
		return {
			id: crypto.randomUUID(),
			direction: out ? 'out' : 'in',
			senderType: out ? 'agent' : 'customer',
			authorId: out ? '00000000-0000-4000-8000-' + String(h % 1e12).padStart(12, '0') : null,
			// A string of its own, as a body read from PostgreSQL is, not one shared by every document.
			body: Buffer.from(body).toString(),
			attachments: [],
			sentAt: new Date(base + (k + 1) * 1000).toISOString(),
			deliveryState: out ? 'sent' : null,
			deliveryError: null
		};
	});
}

export interface ServerMemory {
	rss: number;
	heapUsed: number;
	heapTotal: number;
	external: number;
	arrayBuffers: number;
}
