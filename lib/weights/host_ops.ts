/** Small host-side (Float32Array) layout transforms used by the weight converters. */
import type { HostTensor } from './safetensors.ts';

/** The float data of a host tensor (integers converted). */
export function floatData(t: HostTensor): Float32Array {
  return t.data instanceof Float32Array ? t.data : Float32Array.from(t.data);
}

/**
 * PyTorch Linear weight [Out, In] → medst layout [In, Out].
 * @param name tensor name for error messages
 */
export function transposeLinear(t: HostTensor, name: string): HostTensor {
  if (t.shape.length !== 2) throw new Error(`${name}: expected a 2-D Linear weight, got [${t.shape}]`);
  const [rows, cols] = t.shape as [number, number];
  const src = floatData(t);
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = src[r * cols + c] as number;
  return { shape: [cols, rows], data: out };
}

/** Concatenates [In, Out_i] host matrices along the output axis → [In, ΣOut_i]; or 1-D vectors end to end. */
export function concatLastAxis(parts: HostTensor[], name: string): HostTensor {
  const first = parts[0];
  if (!first) throw new Error(`${name}: nothing to concatenate`);
  if (first.shape.length === 1) {
    const data = new Float32Array(parts.reduce((n, p) => n + p.data.length, 0));
    let at = 0;
    for (const p of parts) {
      data.set(floatData(p), at);
      at += p.data.length;
    }
    return { shape: [data.length], data };
  }
  const rows = first.shape[0] as number;
  if (parts.some((p) => p.shape.length !== 2 || p.shape[0] !== rows)) throw new Error(`${name}: cannot concatenate [${parts.map((p) => `[${p.shape}]`).join(', ')}]`);
  const total = parts.reduce((n, p) => n + (p.shape[1] as number), 0);
  const data = new Float32Array(rows * total);
  let col0 = 0;
  for (const p of parts) {
    const cols = p.shape[1] as number;
    const src = floatData(p);
    for (let r = 0; r < rows; r++) data.set(src.subarray(r * cols, (r + 1) * cols), r * total + col0);
    col0 += cols;
  }
  return { shape: [rows, total], data };
}

/**
 * PyTorch conv weight [Out, InSrc, kH, kW] → TF HWIO [kH, kW, InDst, Out].
 * When InDst = 1 and InSrc > 1 (RGB weights into a gray model) the filter is
 * summed over the input channels: a gray image replicated to RGB gives the same output.
 */
export function convToHwio(t: HostTensor, inDst: number, name: string): HostTensor {
  if (t.shape.length !== 4) throw new Error(`${name}: expected a 4-D conv weight [Out, In, kH, kW], got [${t.shape}]`);
  const [out, inSrc, kh, kw] = t.shape as [number, number, number, number];
  if (inDst !== inSrc && inDst !== 1) throw new Error(`${name}: cannot map ${inSrc} input channels to ${inDst}`);
  const src = floatData(t);
  const data = new Float32Array(kh * kw * inDst * out);
  for (let o = 0; o < out; o++) {
    for (let c = 0; c < inSrc; c++) {
      const cd = inDst === 1 ? 0 : c;
      for (let y = 0; y < kh; y++) {
        for (let x = 0; x < kw; x++) {
          data[((y * kw + x) * inDst + cd) * out + o]! += src[((o * inSrc + c) * kh + y) * kw + x] as number;
        }
      }
    }
  }
  return { shape: [kh, kw, inDst, out], data };
}

/** Prefixes every name (`prefix.name`); an empty prefix returns the map unchanged. */
export function withPrefix(tensors: Map<string, HostTensor>, prefix: string): Map<string, HostTensor> {
  if (!prefix) return tensors;
  return new Map([...tensors].map(([k, v]) => [`${prefix}.${k}`, v]));
}
