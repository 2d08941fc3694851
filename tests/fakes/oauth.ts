/**
 * What every fake platform's authorization side shares: the codes it handed out on its consent page, the tokens it
 * issued and refreshed (with lifetimes a test can shorten), and the consent page itself, a small HTML page with
 * one "authorize" link back to the app, where the real platform would ask the seller to log in and approve.
 */
import { randomBytes } from 'node:crypto';
import type { FakeReply } from './server.ts';

interface Grant {
	accessToken: string;
	refreshToken: string;
	/** Seconds the access token lives, as the platform says it. */
	expiresIn: number;
	refreshExpiresIn: number;
}

export class FakeTokens {
	/** Lifetimes of what the fake issues, in seconds. Tests shorten them. */
	accessTtlSeconds = 4 * 3600;
	refreshTtlSeconds = 30 * 86_400;
	/** When set, every refresh is refused as the platform refuses an expired or revoked refresh token. */
	rejectRefresh = false;
	/** Where the consent page sends the seller back, for platforms that keep it in the app's settings (TikTok Shop). */
	redirectUri: string | undefined;
	readonly #codes = new Set<string>();
	readonly #access = new Set<string>();
	readonly #refresh = new Map<string, number>();
	/** Every refresh the fake granted. */
	refreshes = 0;

	code(): string {
		const code = 'code-' + randomBytes(8).toString('hex');
		this.#codes.add(code);
		return code;
	}

	/** A code is good once. */
	takeCode(code: string | undefined): boolean {
		return code !== undefined && this.#codes.delete(code);
	}

	issue(): Grant {
		const grant = {
			accessToken: 'at-' + randomBytes(12).toString('hex'),
			refreshToken: 'rt-' + randomBytes(12).toString('hex'),
			expiresIn: this.accessTtlSeconds,
			refreshExpiresIn: this.refreshTtlSeconds
		};
		this.#access.add(grant.accessToken);
		this.#refresh.set(grant.refreshToken, Date.now() + this.refreshTtlSeconds * 1000);
		return grant;
	}

	/** A new pair for a live refresh token (which is used up), or null when the platform would refuse it. */
	refresh(refreshToken: string | undefined): Grant | null {
		if (this.rejectRefresh || refreshToken === undefined) return null;
		const expires = this.#refresh.get(refreshToken);
		if (expires === undefined || expires < Date.now()) return null;
		this.#refresh.delete(refreshToken);
		this.refreshes += 1;
		return this.issue();
	}

	accepts(accessToken: string | undefined): boolean {
		return accessToken !== undefined && this.#access.has(accessToken);
	}
}

/** The platform's consent page: the seller "logs in" and clicks authorize, which returns to `target`. */
export function consentPage(platformName: string, target: URL): FakeReply {
	const href = target.toString().replaceAll('&', '&amp;').replaceAll('"', '&quot;');
	return {
		status: 200,
		headers: { 'content-type': 'text/html; charset=utf-8' },
		html: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${platformName} authorization</title></head><body><h1>${platformName}</h1><p>ChatMai Test App asks to read and answer your shop's chats.</p><a id="authorize" href="${href}">Authorize</a></body></html>`
	};
}
