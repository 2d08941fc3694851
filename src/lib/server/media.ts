/**
 * Platform media served through ChatMai: a customer's image is fetched by the server, for a member
 * of the workspace, instead of by every viewer's browser from a third-party host (which would learn
 * who reads the inbox, and when). Only images stored on a message of the caller's workspace can be
 * fetched (no open proxy), only from public addresses outside test mode (./outbound.ts), only the
 * image types a browser shows, up to MEDIA_MAX_BYTES.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Queryable } from './db.ts';
import type { WorkspaceScope } from './scope.ts';
import { isUuid } from './scope.ts';
import { assertFetchableUrl, OutboundRefused, publicOnlyLookup } from './outbound.ts';
import { DomainError } from './errors.ts';

/** Largest image served, in bytes. @default 8 MiB */
export const MEDIA_MAX_BYTES = 8 * 1024 * 1024;
/** The image types served; anything else (HTML, SVG with its scripts…) is refused. */
export const MEDIA_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/avif'] as const;
const MAX_REDIRECTS = 3;
const TIMEOUT_MS = 10_000;

export type MediaRefusal = 'not_found' | 'refused_address' | 'unavailable' | 'too_large' | 'unsupported_type';

const MEDIA_STATUS: Record<MediaRefusal, number> = { not_found: 404, refused_address: 403, unavailable: 502, too_large: 413, unsupported_type: 415 };

export class MediaError extends DomainError<`media_${MediaRefusal}`> {
	readonly reason: MediaRefusal;
	constructor(reason: MediaRefusal, message: string) {
		super(MEDIA_STATUS[reason], `media_${reason}`, message);
		this.name = 'MediaError';
		this.reason = reason;
	}
}

export interface Media {
	contentType: (typeof MEDIA_TYPES)[number];
	body: Uint8Array;
}

export interface MediaOptions {
	/** Test mode only: internal and plain-http hosts may be fetched (the suite's local image server). */
	allowInternal: boolean;
	maxBytes?: number;
}

/** The URL of image number `index` of a message in the caller's workspace, or MediaError('not_found'). */
export async function mediaUrl(db: Queryable, scope: WorkspaceScope, messageId: string, index: number): Promise<string> {
	scope.require('read');
	if (!isUuid(messageId) || !Number.isInteger(index) || index < 0 || index > 100) throw new MediaError('not_found', 'Not found');
	const { rows } = await db.query<{ attachment: { kind?: unknown; url?: unknown } | null }>(
		`select attachments -> $3::int as attachment from messages where id = $1 and workspace_id = $2`,
		[messageId, scope.workspaceId, index]
	);
	const attachment = rows[0]?.attachment;
	if (!attachment || (attachment.kind !== 'image' && attachment.kind !== 'sticker') || typeof attachment.url !== 'string') {
		throw new MediaError('not_found', 'Not found');
	}
	return attachment.url;
}

/** Fetches an image: redirects followed (each hop checked again), type and size checked before anything is returned. */
export async function fetchMedia(raw: string, options: MediaOptions): Promise<Media> {
	const maxBytes = options.maxBytes ?? MEDIA_MAX_BYTES;
	let url = raw;
	for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
		let target: URL;
		try {
			target = assertFetchableUrl(url, options.allowInternal);
		} catch (error) {
			if (error instanceof OutboundRefused) throw new MediaError('refused_address', error.message);
			throw error;
		}
		const response = await get(target, options.allowInternal);
		const status = response.statusCode ?? 0;
		if (status >= 300 && status < 400 && response.headers.location) {
			response.resume();
			url = new URL(response.headers.location, target).toString();
			continue;
		}
		if (status !== 200) {
			response.resume();
			throw new MediaError('unavailable', `the media host answered ${status}`);
		}
		const type = (response.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
		const contentType = MEDIA_TYPES.find((t) => t === type);
		if (!contentType) {
			response.resume();
			throw new MediaError('unsupported_type', `${type || 'no type'} is not an image type ChatMai serves`);
		}
		if (Number(response.headers['content-length'] ?? 0) > maxBytes) {
			response.destroy();
			throw new MediaError('too_large', `larger than ${maxBytes} bytes`);
		}
		return { contentType, body: await readCapped(response, maxBytes) };
	}
	throw new MediaError('unavailable', 'too many redirects');
}

function get(url: URL, allowInternal: boolean): Promise<IncomingMessage> {
	const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
	return new Promise((resolve, reject) => {
		const req = request(url, { method: 'GET', lookup: publicOnlyLookup(allowInternal) as never, headers: { accept: MEDIA_TYPES.join(', ') }, timeout: TIMEOUT_MS }, resolve);
		req.on('timeout', () => req.destroy(new MediaError('unavailable', 'the media host did not answer in time')));
		req.on('error', (error: NodeJS.ErrnoException) => {
			if (error instanceof MediaError) reject(error);
			else if (error instanceof OutboundRefused || error.code === 'EINTERNAL') reject(new MediaError('refused_address', error.message));
			else reject(new MediaError('unavailable', `the media host could not be reached (${error.code ?? 'error'})`));
		});
		req.end();
	});
}

function readCapped(response: IncomingMessage, maxBytes: number): Promise<Uint8Array> {
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		let size = 0;
		response.on('data', (chunk: Buffer) => {
			size += chunk.length;
			if (size > maxBytes) {
				response.destroy();
				reject(new MediaError('too_large', `larger than ${maxBytes} bytes`));
				return;
			}
			chunks.push(chunk);
		});
		response.on('end', () => resolve(new Uint8Array(Buffer.concat(chunks, size))));
		response.on('error', () => reject(new MediaError('unavailable', 'the media host broke off')));
	});
}
