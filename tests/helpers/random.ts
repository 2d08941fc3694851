/** A seeded generator of numbers in [0, 1), so that a fuzz failure or a bench's resampling can be replayed. */
export function seededRandom(seed: number): () => number {
	return () => {
		seed = (seed * 1664525 + 1013904223) >>> 0;
		return seed / 2 ** 32;
	};
}
