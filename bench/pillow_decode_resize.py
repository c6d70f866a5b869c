"""Pillow side of the `decode-resize` bench: the same work as medst's
preprocessImage on the same JPEG files, timed in one process.

    python bench/pillow_decode_resize.py --size 256 --repeats 3 [--processes N] [--dump first.raw] FILE...

Per image: Image.open, (--draft: Image.draft('L', target), libjpeg's DCT scaling to the
smallest scale still at least the target, Pillow at its fastest), convert('L'), longest
side to SIZE with area averaging (Image.reduce for an exact integer factor, else resize
with Image.BOX), tobytes (--decode-only: open [+ draft] + convert('L') + tobytes alone). Prints one JSON line: {"images", "seconds", "imagesPerSecond", ...}
for the fastest pass (after one warm-up pass over the first 20 files). With
--processes N > 1 the files are spread over a pool of N worker processes
(started and warmed up before timing) — a context figure, not the headline.
"""
import argparse
import json
import multiprocessing
import time

from PIL import Image


DRAFT = False


def target(width, height, size):
    if height >= width:
        return int(width * (size / height)), size
    return size, int(height * (size / width))


def open_gray(path, size):
    """The grey image (at the draft scale with --draft) and the file's full size."""
    with Image.open(path) as image:
        full = image.size
        if DRAFT:
            image.draft('L', target(*full, size))
        return image.convert('L'), full


def decode(path, size):
    return open_gray(path, size)[0].tobytes()


def process(path, size):
    gray, full = open_gray(path, size)
    width, height = gray.size
    new_width, new_height = target(*full, size)
    factor = width / new_width
    if factor == int(factor) and height / new_height == factor:
        resized = gray.reduce(int(factor))
    else:
        resized = gray.resize((new_width, new_height), Image.BOX)
    return resized.tobytes()


def set_draft(value):
    global DRAFT
    DRAFT = value


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--size', type=int, default=256)
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--processes', type=int, default=1)
    parser.add_argument('--dump', help='write the first output (raw bytes) here')
    parser.add_argument('--decode-only', action='store_true', help='time Image.open + convert(\'L\') alone')
    parser.add_argument('--draft', action='store_true', help='decode JPEGs at the DCT scale just above the target')
    parser.add_argument('files', nargs='+')
    args = parser.parse_args()
    global DRAFT
    DRAFT = args.draft
    pool = multiprocessing.Pool(args.processes, initializer=set_draft, initargs=(args.draft,)) if args.processes > 1 else None

    work = decode if args.decode_only else process

    def run(paths):
        if pool is None:
            for path in paths:
                work(path, args.size)
        else:
            pool.starmap(work, [(path, args.size) for path in paths], chunksize=8)

    run(args.files[:20])
    best = float('inf')
    for _ in range(args.repeats):
        start = time.perf_counter()
        run(args.files)
        best = min(best, time.perf_counter() - start)
    if pool is not None:
        pool.close()
        pool.join()
    if args.dump and not args.decode_only:
        with open(args.dump, 'wb') as f:
            f.write(process(args.files[0], args.size))
    print(json.dumps({'images': len(args.files), 'seconds': best, 'imagesPerSecond': len(args.files) / best,
                      'pillow': Image.__version__, 'processes': args.processes, 'draft': args.draft}))


if __name__ == '__main__':
    main()
