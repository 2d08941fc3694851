/**
 * Collects the keys asked for within `waitMs` (0: one turn of the event loop) and answers them
 * with one call of `load` per `maxBatch` keys, so a reconnect storm that opens hundreds of documents at once sends
 * PostgreSQL a few queries over a few pool connections instead of one query per document.
 * A key asked for twice in the same turn is loaded once. A failed batch fails each of its keys.
 */
export function batched<K, V>(load: (keys: K[]) => Promise<Map<K, V>>, { maxBatch = 100, waitMs = 0 } = {}): (key: K) => Promise<V | undefined> {
	let pending = new Map<K, { resolve: (value: V | undefined) => void; reject: (error: unknown) => void }[]>();
	let scheduled = false;

	const flush = () => {
		scheduled = false;
		const waiting = pending;
		pending = new Map();
		const keys = [...waiting.keys()];
		for (let i = 0; i < keys.length; i += maxBatch) {
			const slice = keys.slice(i, i + maxBatch);
			load(slice).then(
				(values) => {
					for (const key of slice) for (const waiter of waiting.get(key)!) waiter.resolve(values.get(key));
				},
				(error) => {
					for (const key of slice) for (const waiter of waiting.get(key)!) waiter.reject(error);
				}
			);
		}
	};

	return (key) =>
		new Promise<V | undefined>((resolve, reject) => {
			let waiters = pending.get(key);
			if (!waiters) pending.set(key, (waiters = []));
			waiters.push({ resolve, reject });
			if (!scheduled) {
				scheduled = true;
				if (waitMs > 0) setTimeout(flush, waitMs);
				else setImmediate(flush);
			}
		});
}
