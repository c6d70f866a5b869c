/**
 * A `prepare` decode process: preprocesses the images it is sent (decode, area
 * resize, pad) and returns the pixels. Processes, not threads: JPEG decoding is
 * synchronous native TensorFlow code, and the TensorFlow addon crashes now and
 * then when two threads of one process run it at once (seen 1 run in 6-15).
 * Started by preprocess_pool.ts with an IPC channel.
 */
import { DataError } from './errors.ts';
import { loadJpegDecoder } from './jpeg_decode.ts';
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

// A reply after the pool closed has nowhere to go.
const send = (message: PreprocessReply | 'ready'): void => {
  if (process.connected) process.send!(message);
};
// The pool (or its process) went away: so does this worker.
process.on('disconnect', () => process.exit(0));

loadJpegDecoder();
send('ready');

process.on('message', (request: PreprocessRequest | 'close') => {
  if (request === 'close') {
    process.disconnect();
    return;
  }
  preprocessImage(request.file, request.size, { jpeg: request.jpeg }).then(
    (pixels) => send({ id: request.id, pixels }),
    (error: unknown) =>
      send(
        error instanceof DataError
          ? { id: request.id, dataError: { kind: error.kind, detail: error.detail, file: error.file, row: error.row, line: error.line, field: error.field } }
          : { id: request.id, error: (error as Error)?.message ?? String(error) },
      ),
  );
});
