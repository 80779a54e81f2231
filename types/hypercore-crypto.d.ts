// Minimal types for hypercore-crypto 3.x: only what peerchat uses.
declare module 'hypercore-crypto' {
  interface KeyPair {
    publicKey: Buffer;
    secretKey: Buffer;
  }
  export function keyPair(seed?: Buffer): KeyPair;
  export function validateKeyPair(keyPair: KeyPair): boolean;
  export function sign(message: Buffer, secretKey: Buffer): Buffer;
  export function verify(message: Buffer, signature: Buffer, publicKey: Buffer): boolean;
  export function randomBytes(n: number): Buffer;
  export function discoveryKey(publicKey: Buffer): Buffer;
  export function hash(data: Buffer | Buffer[], out?: Buffer): Buffer;
}
