/** Wrap the socket calls the DHT and Node make; `note` gets each destination. Resolves to an undo. */
export function hookEgress(note: (destination: string) => void): Promise<() => void>;
