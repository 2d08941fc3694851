import { createContext } from 'svelte';

/** A short message in the corner; failures carry a way to retry. */
export interface Toast {
	id: number;
	message: string;
	tone: 'error' | 'success' | 'info';
	/** Shown as a button; the toast closes when it is pressed. */
	retry?: () => void;
}

/** The toasts of one page, handed down through context (never a module singleton). */
export class Toasts {
	items: Toast[] = $state([]);
	#next = 1;

	push(toast: Omit<Toast, 'id'>, timeoutMs = toast.tone === 'error' ? 10_000 : 4_000): number {
		const id = this.#next++;
		this.items.push({ ...toast, id });
		if (typeof window !== 'undefined') setTimeout(() => this.dismiss(id), timeoutMs);
		return id;
	}

	error(message: string, retry?: () => void): number {
		return this.push({ message, tone: 'error', retry });
	}

	success(message: string): number {
		return this.push({ message, tone: 'success' });
	}

	dismiss(id: number): void {
		this.items = this.items.filter((t) => t.id !== id);
	}
}

const [getToasts, setToasts] = createContext<Toasts>();
export const useToasts = getToasts;
export { setToasts };
