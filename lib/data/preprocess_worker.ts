/**
 * A `prepare` decode worker: preprocesses the images it is sent (decode,
 * area resize, pad) and returns the pixels. JPEG decoding is synchronous
 * native code, so images decode in parallel only across workers like this one.
 */
import { parentPort } from 'node:worker_threads';
import { DataError } from './errors.ts';
import { preprocessImage, type JpegDecodeMode } from './preprocess.ts';

export interface PreprocessRequest {
  id: number;
  file: string;
  size: number;
  jpeg: JpegDecodeMode;
}

export type PreprocessReply =
  | { id: number; pixels: Uint8Array }
  | { id: number; dataError: { kind: DataError['kind']; detail: string; file?: string; row?: number; line?: number; field?: string } }
  | { id: number; error: string };

parentPort!.on('message', (request: PreprocessRequest | 'close') => {
  if (request === 'close') {
    parentPort!.close();
    return;
  }
  preprocessImage(request.file, request.size, { jpeg: request.jpeg }).then(
    (pixels) => {
      // Transfer a buffer that holds exactly these pixels.
      const own = pixels.byteOffset === 0 && pixels.byteLength === pixels.buffer.byteLength ? pixels : pixels.slice();
      parentPort!.postMessage({ id: request.id, pixels: own } satisfies PreprocessReply, [own.buffer as ArrayBuffer]);
    },
    (error: unknown) => {
      const reply: PreprocessReply =
        error instanceof DataError
          ? { id: request.id, dataError: { kind: error.kind, detail: error.detail, file: error.file, row: error.row, line: error.line, field: error.field } }
          : { id: request.id, error: (error as Error)?.message ?? String(error) };
      parentPort!.postMessage(reply);
    },
  );
});
