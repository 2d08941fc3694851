import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { KeyRing } from '../src/lib/server/crypto.ts';
import type { Config } from '../src/lib/server/env.ts';
import type { Logger } from '../src/lib/server/log.ts';

/**
 * The master keys that seal platform credentials: CHATMAI_ENCRYPTION_KEYS when set; otherwise a
 * key generated once and kept in the data folder (readable by this user only), with a warning.
 */
export async function loadKeyRing(config: Config, log: Logger): Promise<KeyRing> {
	if (config.encryptionKeys) return KeyRing.parse(config.encryptionKeys);
	const file = resolve(config.dataDir, 'encryption.key');
	let spec: string;
	try {
		spec = (await readFile(file, 'utf8')).trim();
	} catch {
		spec = `local1:${randomBytes(32).toString('base64')}`;
		await mkdir(dirname(file), { recursive: true });
		await writeFile(file, spec + '\n', { mode: 0o600, flag: 'wx' }).catch(async (error) => {
			if (error.code !== 'EEXIST') throw error;
			spec = (await readFile(file, 'utf8')).trim();
		});
	}
	log.warn('local_encryption_key', { file, note: 'platform tokens are sealed with a key kept on this disk; set CHATMAI_ENCRYPTION_KEYS in production' });
	return KeyRing.parse(spec);
}
