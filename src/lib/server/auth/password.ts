import { hash, verify } from '@node-rs/argon2';

// argon2id with OWASP's recommended floor (19 MiB, 2 passes, 1 lane).
const options = { memoryCost: 19456, timeCost: 2, parallelism: 1, outputLen: 32 } as const;

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 256;

export function hashPassword(password: string): Promise<string> {
	return hash(password, options); // the default algorithm is argon2id
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
	try {
		return await verify(passwordHash, password);
	} catch {
		return false;
	}
}

// A real hash of a random string, verified when the account does not exist, so that a wrong
// e-mail costs the same time as a wrong password (no account enumeration by timing).
let decoy: Promise<string> | undefined;
export async function verifyDecoy(password: string): Promise<false> {
	decoy ??= hashPassword(crypto.randomUUID());
	await verifyPassword(await decoy, password);
	return false;
}
