import type createTestnet from '@hyperswarm/testnet';
export const NETNS_ENV: 'PEERCHAT_NETNS';
export const TESTNET_SIZE: number;
export interface NetnsSupport {
  available: boolean;
  reason?: string;
}
export function interfaces(): string[];
export function insideNetns(): boolean;
export function netnsSupport(): NetnsSupport;
export function unshareArgs(nodeArgs: string[]): string[];
export function startTestnet(size?: number): Promise<createTestnet.Testnet>;
