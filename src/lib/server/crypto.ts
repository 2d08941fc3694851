import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/** A random token with `bytes` of entropy, base32-encoded (lower case, no padding). */
export function randomToken(bytes = 25): string {
	const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
	const data = randomBytes(bytes);
	let bits = 0;
	let value = 0;
	let out = '';
	for (const byte of data) {
		value = (value << 8) | byte;
		bits += 8;
		while (bits >= 5) {
			out += alphabet[(value >>> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
	return out;
}

export function sha256Hex(input: string | Uint8Array): string {
	return createHash('sha256').update(input).digest('hex');
}

/** Constant-time string comparison (for equal-length digests; unequal lengths return false). */
export function safeEqual(a: string, b: string): boolean {
	const x = Buffer.from(a);
	const y = Buffer.from(b);
	return x.length === y.length && timingSafeEqual(x, y);
}

/** A sealed secret: AES-256-GCM with a random 96-bit IV and the id of the key that sealed it. */
export interface SealedSecret {
	keyId: string;
	iv: Buffer;
	ciphertext: Buffer;
	authTag: Buffer;
}

/**
 * The master keys that seal platform credentials. The first key seals; every key opens what it
 * sealed, so keys can be rotated by putting a new one first and re-sealing at leisure.
 */
export class KeyRing {
	readonly #keys: Map<string, Buffer>;
	readonly #current: string;

	constructor(keys: { id: string; key: Buffer }[]) {
		if (keys.length === 0) throw new Error('KeyRing needs at least one key');
		for (const { id, key } of keys) {
			if (key.length !== 32) throw new Error(`encryption key ${id} must be 32 bytes`);
		}
		this.#keys = new Map(keys.map(({ id, key }) => [id, key]));
		this.#current = keys[0].id;
	}

	/** Parses `id:base64key[,id:base64key…]`, the form of CHATMAI_ENCRYPTION_KEYS. */
	static parse(spec: string): KeyRing {
		const keys = spec
			.split(',')
			.map((part) => part.trim())
			.filter(Boolean)
			.map((part) => {
				const at = part.indexOf(':');
				if (at < 1) throw new Error('each key is written id:base64');
				return { id: part.slice(0, at), key: Buffer.from(part.slice(at + 1), 'base64') };
			});
		return new KeyRing(keys);
	}

	get currentKeyId(): string {
		return this.#current;
	}

	/** A 32-byte key for one purpose (e.g. 'collab-ticket'), derived from the current key by HKDF. */
	deriveKey(purpose: string): Buffer {
		return Buffer.from(hkdfSync('sha256', this.#keys.get(this.#current)!, Buffer.alloc(0), `chatmai:${purpose}`, 32));
	}

	seal(plaintext: string, associatedData: string): SealedSecret {
		const iv = randomBytes(12);
		const cipher = createCipheriv('aes-256-gcm', this.#keys.get(this.#current)!, iv);
		cipher.setAAD(Buffer.from(associatedData));
		const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
		return { keyId: this.#current, iv, ciphertext, authTag: cipher.getAuthTag() };
	}

	open(sealed: SealedSecret, associatedData: string): string {
		const key = this.#keys.get(sealed.keyId);
		if (!key) throw new Error(`no encryption key with id ${sealed.keyId}`);
		const decipher = createDecipheriv('aes-256-gcm', key, sealed.iv);
		decipher.setAAD(Buffer.from(associatedData));
		decipher.setAuthTag(sealed.authTag);
		return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]).toString('utf8');
	}
}
