/**
 * libheif-js ships no types for its WebAssembly bundle: the part of its API core/convert-heic.ts uses.
 * The ES module build (the .wasm inlined) is the one that bundles for Lambda: the CommonJS one reads __dirname.
 */
declare module 'libheif-js/libheif-wasm/libheif-bundle.mjs' {
  interface HeifPixels {
    data: Uint8ClampedArray;
    width: number;
    height: number;
  }
  export interface HeifImage {
    get_width(): number;
    get_height(): number;
    is_primary(): boolean;
    /** Decodes into `target` (RGBA); calls back with it, or with null when decoding failed. */
    display(target: HeifPixels, done: (pixels: HeifPixels | null) => void): void;
    free(): void;
  }
  export class HeifDecoder {
    /** Every top-level image of the file (handles; nothing is decoded yet). */
    decode(bytes: Uint8Array): HeifImage[];
  }
  /** Instantiates the module (synchronously: the WebAssembly is inlined). */
  export default function libheif(): { HeifDecoder: typeof HeifDecoder };
}
