// Fused CPU kernels for the transformer's element-wise hot spots, registered
// into TensorFlow through its stable C kernel API (tensorflow/c/kernels.h,
// tensorflow/c/ops.h) and called from tfjs-node like any TensorFlow op.
//
// Why: in TensorFlow's eager mode every element-wise step is one op and one
// pass over memory, so an exact GELU costs 5 passes forward and 7 backward, a
// LayerNorm about 20 and an AdamW step 12; PyTorch runs each as one fused loop.
// These kernels do the same: one pass each way per function (lab notebook §38).
//
//   MedstGelu(x) -> y                     y = x·Φ(x), exact (erf) GELU
//   MedstGeluGrad(dy, x) -> dx            dx = dy·(Φ(x) + x·φ(x))
//   MedstLayerNorm(x, gamma, beta) -> y, mean, rstd      over the last axis
//   MedstLayerNormGrad(dy, x, gamma, mean, rstd) -> dx, dgamma, dbeta
//   MedstAdamW(param, grad, m, v, decay_mask, hyper) -> param', m', v'   one AdamW step, flat
//   MedstSumSquares(x) -> Σ x² (accumulated in double)
//
// erf is Abramowitz & Stegun 7.1.26 (absolute error < 1.5e-7, the float32
// resolution near 1; PyTorch's vectorised CPU erf uses the same formula) and exp
// a range-reduced polynomial, both branch-free so the loops vectorise.
//
// Built by scripts/setup.mjs (g++, linked against the libtensorflow that
// tfjs-node loads) into build/native/; loaded by lib/native/fused_kernels.ts.
// The file is also a Node addon so that `require` can load it; its exports say
// whether the ops registered.

#include <node_api.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

// The part of TensorFlow's C kernel and op API used here (tensorflow/c/kernels.h,
// ops.h, tf_tensor.h, tf_status.h), declared directly: it is a stable C ABI,
// and the headers that declare it pull in others that not every libtensorflow
// distribution ships (the one tfjs-node downloads, the tensorflow-cpu wheel's).
extern "C" {
typedef struct TF_Status TF_Status;
typedef struct TF_Tensor TF_Tensor;
typedef struct TF_OpKernelConstruction TF_OpKernelConstruction;
typedef struct TF_OpKernelContext TF_OpKernelContext;
typedef struct TF_KernelBuilder TF_KernelBuilder;
typedef struct TF_OpDefinitionBuilder TF_OpDefinitionBuilder;
typedef struct TF_ShapeInferenceContext TF_ShapeInferenceContext;
// TF_DataType and TF_Code are C enums (int-sized); only these values are named here.
typedef int TF_DataType;
typedef int TF_Code;
constexpr TF_DataType TF_FLOAT = 1;
constexpr TF_Code TF_OK = 0;
constexpr TF_Code TF_INVALID_ARGUMENT = 3;

TF_Status* TF_NewStatus(void);
void TF_DeleteStatus(TF_Status*);
void TF_SetStatus(TF_Status* s, TF_Code code, const char* msg);
TF_Code TF_GetCode(const TF_Status* s);
void TF_OpKernelConstruction_GetAttrInt64(TF_OpKernelConstruction* ctx, const char* attr_name, int64_t* val, TF_Status* status);
void TF_OpKernelConstruction_GetAttrFloat(TF_OpKernelConstruction* ctx, const char* attr_name, float* val, TF_Status* status);
void TF_GetInput(TF_OpKernelContext* ctx, int i, TF_Tensor** tensor, TF_Status* status);
TF_Tensor* TF_AllocateOutput(TF_OpKernelContext* context, int index, TF_DataType dtype, const int64_t* dims, int num_dims, size_t len, TF_Status* status);
void TF_OpKernelContext_Failure(TF_OpKernelContext* ctx, TF_Status* status);
TF_DataType TF_TensorType(const TF_Tensor*);
void* TF_TensorData(const TF_Tensor*);
void TF_DeleteTensor(TF_Tensor*);
int TF_NumDims(const TF_Tensor*);
int64_t TF_Dim(const TF_Tensor* tensor, int dim_index);
int64_t TF_TensorElementCount(const TF_Tensor* tensor);
TF_OpDefinitionBuilder* TF_NewOpDefinitionBuilder(const char* op_name);
void TF_OpDefinitionBuilderAddInput(TF_OpDefinitionBuilder* builder, const char* input_spec);
void TF_OpDefinitionBuilderAddOutput(TF_OpDefinitionBuilder* builder, const char* output_spec);
void TF_OpDefinitionBuilderAddAttr(TF_OpDefinitionBuilder* builder, const char* attr_spec);
void TF_OpDefinitionBuilderSetShapeInferenceFunction(TF_OpDefinitionBuilder* builder, void (*shape_inference_func)(TF_ShapeInferenceContext* ctx, TF_Status* status));
void TF_ShapeInferenceContextSetUnknownShape(TF_ShapeInferenceContext* ctx, TF_Status* status);
void TF_RegisterOpDefinition(TF_OpDefinitionBuilder* builder, TF_Status* status);
TF_KernelBuilder* TF_NewKernelBuilder(const char* op_name, const char* device_name, void* (*create_func)(TF_OpKernelConstruction*),
                                      void (*compute_func)(void*, TF_OpKernelContext*), void (*delete_func)(void*));
void TF_RegisterKernelBuilder(const char* kernel_name, TF_KernelBuilder* builder, TF_Status* status);
}

// The hot loops are compiled for AVX-512, AVX2 and baseline x86-64; the loader
// picks the widest the CPU has (so one build runs on any x86-64 machine).
#if defined(__x86_64__) && defined(__GNUC__)
#define MEDST_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define MEDST_VECTOR_CLONES
#endif

namespace {

// ---------------------------------------------------------------- math

// e^x for x <= 0 (the only use here), accurate to ~2 ulp: x = n·ln2 + r with
// |r| <= ln2/2, a degree-6 polynomial for e^r, then 2^n through the exponent.
// (Built with -fno-trapping-math: the clamp and the truncation then vectorise.)
inline float exp_nonpositive(float x) {
  x = x < -87.0f ? -87.0f : x;  // keeps 2^n a normal float
  const float n = static_cast<float>(static_cast<int32_t>(x * 1.44269504088896341f - 0.5f));  // round(x·log2 e), x <= 0
  const float r = x - n * 0.693359375f + n * 2.12194440e-4f;  // ln2 split in two for exactness
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float er = p * r * r + r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return er * scale;
}

constexpr float kSqrtHalf = 0.70710678118654752f;   // 1/√2
constexpr float kInvSqrt2Pi = 0.39894228040143268f;  // 1/√(2π)

// Φ(x) = ½(1 + erf(x/√2)) and e^{−x²/2} (φ(x)·√(2π)), which erf needs anyway.
inline void normal_cdf(float x, float* cdf, float* gauss) {
  const float u = x * kSqrtHalf;
  const float a = std::fabs(u);
  const float t = 1.0f / (1.0f + 0.3275911f * a);
  float poly = 1.061405429f;
  poly = poly * t - 1.453152027f;
  poly = poly * t + 1.421413741f;
  poly = poly * t - 0.284496736f;
  poly = poly * t + 0.254829592f;
  const float e = exp_nonpositive(-u * u);
  const float erf_abs = 1.0f - poly * t * e;
  const float erf = std::copysign(erf_abs, u);
  *cdf = 0.5f + 0.5f * erf;
  *gauss = e;
}

// ------------------------------------------------------------ threading

// Runs body(begin, end) over [0, n) split into at most `threads` contiguous
// parts, the calling thread taking the first (TensorFlow's intra-op count is
// passed in as an attribute, so both use the same cores).
template <typename Body>
void parallel_for(int64_t n, int threads, int64_t min_per_thread, Body body) {
  const int64_t parts = std::max<int64_t>(1, std::min<int64_t>(threads, n / std::max<int64_t>(min_per_thread, 1)));
  if (parts <= 1) {
    body(0, n);
    return;
  }
  std::vector<std::thread> workers;
  workers.reserve(parts - 1);
  const int64_t step = (n + parts - 1) / parts;
  for (int64_t p = 1; p < parts; ++p) {
    const int64_t begin = p * step, end = std::min(n, begin + step);
    if (begin < end) workers.emplace_back([=] { body(begin, end); });
  }
  body(0, std::min(n, step));
  for (auto& w : workers) w.join();
}

// ------------------------------------------------------ kernel plumbing

struct Attrs {
  float epsilon = 0.0f;
  int threads = 1;
};

void* create_attrs(TF_OpKernelConstruction* ctx) {
  auto* attrs = new Attrs();
  TF_Status* status = TF_NewStatus();
  int64_t threads = 1;
  TF_OpKernelConstruction_GetAttrInt64(ctx, "threads", &threads, status);
  if (TF_GetCode(status) == TF_OK) attrs->threads = static_cast<int>(std::max<int64_t>(1, threads));
  TF_SetStatus(status, TF_OK, "");
  float eps = 0.0f;
  TF_OpKernelConstruction_GetAttrFloat(ctx, "epsilon", &eps, status);
  if (TF_GetCode(status) == TF_OK) attrs->epsilon = eps;
  TF_DeleteStatus(status);
  return attrs;
}

void delete_attrs(void* attrs) { delete static_cast<Attrs*>(attrs); }

// Owns the TF_Tensors of one Compute call and reports the first failure.
class Call {
 public:
  explicit Call(TF_OpKernelContext* ctx) : ctx_(ctx), status_(TF_NewStatus()) {}
  ~Call() {
    for (TF_Tensor* t : tensors_) TF_DeleteTensor(t);
    TF_DeleteStatus(status_);
  }
  bool ok() const { return ok_; }

  TF_Tensor* input(int i) {
    if (!ok_) return nullptr;
    TF_Tensor* t = nullptr;
    TF_GetInput(ctx_, i, &t, status_);
    if (!check()) return nullptr;
    tensors_.push_back(t);
    if (TF_TensorType(t) != TF_FLOAT) return fail(TF_INVALID_ARGUMENT, "input " + std::to_string(i) + " must be float32"), nullptr;
    return t;
  }

  float* output(int i, const std::vector<int64_t>& dims) {
    if (!ok_) return nullptr;
    int64_t count = 1;
    for (int64_t d : dims) count *= d;
    TF_Tensor* t = TF_AllocateOutput(ctx_, i, TF_FLOAT, dims.data(), static_cast<int>(dims.size()), count * sizeof(float), status_);
    if (!check()) return nullptr;
    tensors_.push_back(t);
    return static_cast<float*>(TF_TensorData(t));
  }

  void fail(TF_Code code, const std::string& message) {
    if (!ok_) return;
    TF_SetStatus(status_, code, message.c_str());
    TF_OpKernelContext_Failure(ctx_, status_);
    ok_ = false;
  }

 private:
  bool check() {
    if (TF_GetCode(status_) == TF_OK) return true;
    TF_OpKernelContext_Failure(ctx_, status_);
    ok_ = false;
    return false;
  }
  TF_OpKernelContext* ctx_;
  TF_Status* status_;
  std::vector<TF_Tensor*> tensors_;
  bool ok_ = true;
};

std::vector<int64_t> dims_of(TF_Tensor* t) {
  std::vector<int64_t> dims(TF_NumDims(t));
  for (int i = 0; i < static_cast<int>(dims.size()); ++i) dims[i] = TF_Dim(t, i);
  return dims;
}

bool same_dims(TF_Tensor* a, TF_Tensor* b) { return dims_of(a) == dims_of(b); }

const float* data(TF_Tensor* t) { return static_cast<const float*>(TF_TensorData(t)); }

// Element-wise work is split in blocks of this many values (a few L1 pages).
constexpr int64_t kMinElementsPerThread = 1 << 15;

// ---------------------------------------------------------------- GELU

// The loops take restrict pointers of their own so that the compiler vectorises them.
MEDST_VECTOR_CLONES void gelu_range(const float* __restrict x, float* __restrict y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    float cdf, gauss;
    normal_cdf(x[i], &cdf, &gauss);
    y[i] = x[i] * cdf;
  }
}

MEDST_VECTOR_CLONES void gelu_grad_range(const float* __restrict dy, const float* __restrict x, float* __restrict dx, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    float cdf, gauss;
    normal_cdf(x[i], &cdf, &gauss);
    dx[i] = dy[i] * (cdf + x[i] * gauss * kInvSqrt2Pi);
  }
}

void gelu_compute(void* raw, TF_OpKernelContext* ctx) {
  const Attrs& attrs = *static_cast<Attrs*>(raw);
  Call call(ctx);
  TF_Tensor* x = call.input(0);
  if (!x) return;
  float* y = call.output(0, dims_of(x));
  if (!y) return;
  const float* xs = data(x);
  parallel_for(TF_TensorElementCount(x), attrs.threads, kMinElementsPerThread, [=](int64_t begin, int64_t end) { gelu_range(xs + begin, y + begin, end - begin); });
}

void gelu_grad_compute(void* raw, TF_OpKernelContext* ctx) {
  const Attrs& attrs = *static_cast<Attrs*>(raw);
  Call call(ctx);
  TF_Tensor* dy = call.input(0);
  TF_Tensor* x = call.input(1);
  if (!x) return;
  if (!same_dims(dy, x)) return call.fail(TF_INVALID_ARGUMENT, "MedstGeluGrad: dy and x differ in shape");
  float* dx = call.output(0, dims_of(x));
  if (!dx) return;
  const float* xs = data(x);
  const float* dys = data(dy);
  parallel_for(TF_TensorElementCount(x), attrs.threads, kMinElementsPerThread, [=](int64_t begin, int64_t end) { gelu_grad_range(dys + begin, xs + begin, dx + begin, end - begin); });
}

// ----------------------------------------------------------- LayerNorm

// Row sums in 16 interleaved partial sums: a fixed order (deterministic) that
// the compiler can vectorise, which a plain running sum of floats is not.
constexpr int kLanes = 16;

inline float sum_lanes(const float* acc, float tail) {
  for (int k = 0; k < kLanes; ++k) tail += acc[k];
  return tail;
}

// Σ x and then Σ (x − mean)² of one row (two passes over a row in cache: no
// cancellation at small variance).
inline void row_moments(const float* __restrict x, int64_t n, float* mean, float* sq_dev) {
  float acc[kLanes] = {0};
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes)
    for (int k = 0; k < kLanes; ++k) acc[k] += x[j + k];
  float tail = 0.0f;
  for (; j < n; ++j) tail += x[j];
  const float mu = sum_lanes(acc, tail) / static_cast<float>(n);
  float dev[kLanes] = {0};
  j = 0;
  for (; j + kLanes <= n; j += kLanes)
    for (int k = 0; k < kLanes; ++k) dev[k] += (x[j + k] - mu) * (x[j + k] - mu);
  tail = 0.0f;
  for (; j < n; ++j) tail += (x[j] - mu) * (x[j] - mu);
  *mean = mu;
  *sq_dev = sum_lanes(dev, tail);
}

// Σ g and Σ g·x̂ of one row, g = dy·gamma, x̂ = (x − mu)·inv.
inline void row_grad_sums(const float* __restrict dy, const float* __restrict x, const float* __restrict gamma, int64_t n, float mu, float inv,
                          float* sum_g, float* sum_gx) {
  float a[kLanes] = {0}, c[kLanes] = {0};
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes)
    for (int k = 0; k < kLanes; ++k) {
      const float g = dy[j + k] * gamma[j + k];
      a[k] += g;
      c[k] += g * (x[j + k] - mu) * inv;
    }
  float ta = 0.0f, tc = 0.0f;
  for (; j < n; ++j) {
    const float g = dy[j] * gamma[j];
    ta += g;
    tc += g * (x[j] - mu) * inv;
  }
  *sum_g = sum_lanes(a, ta);
  *sum_gx = sum_lanes(c, tc);
}

// y = (x − mean)·rstd·gamma + beta for `rows` rows of `dim`, with each row's mean and rstd.
MEDST_VECTOR_CLONES void layer_norm_rows(const float* __restrict x, const float* __restrict gamma, const float* __restrict beta, float* __restrict y,
                                         float* __restrict mean, float* __restrict rstd, int64_t rows, int64_t dim, float eps) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * dim;
    float* yr = y + r * dim;
    float mu, sq;
    row_moments(xr, dim, &mu, &sq);
    const float inv = 1.0f / std::sqrt(sq / static_cast<float>(dim) + eps);
    for (int64_t j = 0; j < dim; ++j) yr[j] = (xr[j] - mu) * inv * gamma[j] + beta[j];
    mean[r] = mu;
    rstd[r] = inv;
  }
}

// dx of `rows` rows, and their contributions to dgamma and dbeta added into dg and db.
MEDST_VECTOR_CLONES void layer_norm_grad_rows(const float* __restrict dy, const float* __restrict x, const float* __restrict gamma,
                                              const float* __restrict mean, const float* __restrict rstd, float* __restrict dx,
                                              float* __restrict dg, float* __restrict db, int64_t rows, int64_t dim) {
  const float inv_dim = 1.0f / static_cast<float>(dim);
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * dim;
    const float* dyr = dy + r * dim;
    float* dxr = dx + r * dim;
    const float mu = mean[r], inv = rstd[r];
    float sum_g, sum_gx;
    row_grad_sums(dyr, xr, gamma, dim, mu, inv, &sum_g, &sum_gx);
    for (int64_t j = 0; j < dim; ++j) {
      dg[j] += dyr[j] * (xr[j] - mu) * inv;
      db[j] += dyr[j];
    }
    const float a = sum_g * inv_dim, c = sum_gx * inv_dim;
    // dx = rstd·(g − mean(g) − x̂·mean(g·x̂)), g = dy·gamma
    for (int64_t j = 0; j < dim; ++j) dxr[j] = inv * (dyr[j] * gamma[j] - a - (xr[j] - mu) * inv * c);
  }
}

// Rows of the last axis: x is [..., D], gamma and beta are [D].
bool layer_norm_shape(Call& call, TF_Tensor* x, TF_Tensor* gamma, TF_Tensor* beta, int64_t* rows, int64_t* dim) {
  if (TF_NumDims(x) < 1) return call.fail(TF_INVALID_ARGUMENT, "MedstLayerNorm: x must have at least one axis"), false;
  *dim = TF_Dim(x, TF_NumDims(x) - 1);
  if (*dim == 0) return call.fail(TF_INVALID_ARGUMENT, "MedstLayerNorm: the last axis of x is empty (nothing to normalise over)"), false;
  if (TF_NumDims(gamma) != 1 || TF_Dim(gamma, 0) != *dim || (beta && (TF_NumDims(beta) != 1 || TF_Dim(beta, 0) != *dim))) {
    return call.fail(TF_INVALID_ARGUMENT, "MedstLayerNorm: gamma and beta must be [" + std::to_string(*dim) + "], the last axis of x"), false;
  }
  *rows = TF_TensorElementCount(x) / *dim;
  return true;
}

void layer_norm_compute(void* raw, TF_OpKernelContext* ctx) {
  const Attrs& attrs = *static_cast<Attrs*>(raw);
  Call call(ctx);
  TF_Tensor* x = call.input(0);
  TF_Tensor* gamma = call.input(1);
  TF_Tensor* beta = call.input(2);
  if (!beta) return;
  int64_t rows, dim;
  if (!layer_norm_shape(call, x, gamma, beta, &rows, &dim)) return;
  std::vector<int64_t> row_dims = dims_of(x);
  row_dims.pop_back();
  float* y = call.output(0, dims_of(x));
  float* mean = call.output(1, row_dims);
  float* rstd = call.output(2, row_dims);
  if (!rstd) return;
  const float *xs = data(x), *g = data(gamma), *b = data(beta);
  const float eps = attrs.epsilon;
  parallel_for(rows, attrs.threads, std::max<int64_t>(1, kMinElementsPerThread / std::max<int64_t>(dim, 1)), [=](int64_t begin, int64_t end) {
    layer_norm_rows(xs + begin * dim, g, b, y + begin * dim, mean + begin, rstd + begin, end - begin, dim, eps);
  });
}

void layer_norm_grad_compute(void* raw, TF_OpKernelContext* ctx) {
  const Attrs& attrs = *static_cast<Attrs*>(raw);
  Call call(ctx);
  TF_Tensor* dy = call.input(0);
  TF_Tensor* x = call.input(1);
  TF_Tensor* gamma = call.input(2);
  TF_Tensor* mean_t = call.input(3);
  TF_Tensor* rstd_t = call.input(4);
  if (!rstd_t) return;
  int64_t rows, dim;
  if (!layer_norm_shape(call, x, gamma, nullptr, &rows, &dim)) return;
  if (!same_dims(dy, x)) return call.fail(TF_INVALID_ARGUMENT, "MedstLayerNormGrad: dy and x differ in shape");
  if (TF_TensorElementCount(mean_t) != rows || TF_TensorElementCount(rstd_t) != rows) return call.fail(TF_INVALID_ARGUMENT, "MedstLayerNormGrad: mean and rstd must hold one value per row");
  float* dx = call.output(0, dims_of(x));
  float* dgamma = call.output(1, {dim});
  float* dbeta = call.output(2, {dim});
  if (!dbeta) return;
  const float *xs = data(x), *dys = data(dy), *g = data(gamma), *mean = data(mean_t), *rstd = data(rstd_t);
  // At least a thread's share of values per part (small LayerNorms stay on the calling thread).
  const int parts = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(attrs.threads, rows * dim / kMinElementsPerThread)));
  // Per-part column sums for dgamma / dbeta, added up in a fixed order afterwards (deterministic).
  std::vector<float> partial(static_cast<size_t>(parts) * 2 * dim, 0.0f);
  const int64_t step = (rows + parts - 1) / std::max(parts, 1);
  parallel_for(parts, parts, 1, [&](int64_t p_begin, int64_t p_end) {
    for (int64_t p = p_begin; p < p_end; ++p) {
      float* dg = partial.data() + p * 2 * dim;
      float* db = dg + dim;
      const int64_t begin = p * step, end = std::min(rows, (p + 1) * step);
      if (begin < end) layer_norm_grad_rows(dys + begin * dim, xs + begin * dim, g, mean + begin, rstd + begin, dx + begin * dim, dg, db, end - begin, dim);
    }
  });
  for (int64_t j = 0; j < dim; ++j) {
    float sg = 0.0f, sb = 0.0f;
    for (int p = 0; p < parts; ++p) {
      sg += partial[p * 2 * dim + j];
      sb += partial[p * 2 * dim + dim + j];
    }
    dgamma[j] = sg;
    dbeta[j] = sb;
  }
}

// --------------------------------------------------------------- AdamW

// One AdamW step over flat vectors (PyTorch's arithmetic, in its order):
//   g = grad·clip;  m' = β1·m + (1 − β1)·g;  v' = β2·v + (1 − β2)·g²
//   p' = p·(decayed ? 1 − lr·wd : 1) − step_size·m' / (√v' / √bc2 + ε)
// hyper = [clip, β1, 1 − β1, β2, 1 − β2, step_size, √bc2, ε, 1 − lr·wd] is an
// input, not an attribute: TensorFlow caches one kernel per attribute value,
// and these change every step. 1 − β comes in too: computed in double by the
// caller, it is not the float32 difference of a rounded β (0.999 → 1.3e-5 off).
MEDST_VECTOR_CLONES void adamw_range(const float* __restrict p, const float* __restrict grad, const float* __restrict m, const float* __restrict v,
                                     const float* __restrict mask, bool mask_per_element, const float* hyper, float* __restrict p_out,
                                     float* __restrict m_out, float* __restrict v_out, int64_t n) {
  const float clip = hyper[0], beta1 = hyper[1], one_minus_b1 = hyper[2], beta2 = hyper[3], one_minus_b2 = hyper[4];
  const float step_size = hyper[5], sqrt_bc2 = hyper[6], eps = hyper[7], decay = hyper[8];
  for (int64_t i = 0; i < n; ++i) {
    const float g = grad[i] * clip;
    const float mi = m[i] * beta1 + g * one_minus_b1;
    const float vi = v[i] * beta2 + g * g * one_minus_b2;
    const float denom = std::sqrt(vi) / sqrt_bc2 + eps;
    const float keep = (mask_per_element ? mask[i] : mask[0]) != 0.0f ? decay : 1.0f;
    p_out[i] = p[i] * keep - (mi / denom) * step_size;
    m_out[i] = mi;
    v_out[i] = vi;
  }
}

void adamw_compute(void* raw, TF_OpKernelContext* ctx) {
  const Attrs& attrs = *static_cast<Attrs*>(raw);
  Call call(ctx);
  TF_Tensor* p = call.input(0);
  TF_Tensor* grad = call.input(1);
  TF_Tensor* m = call.input(2);
  TF_Tensor* v = call.input(3);
  TF_Tensor* mask = call.input(4);
  TF_Tensor* hyper = call.input(5);
  if (!hyper) return;
  const int64_t n = TF_TensorElementCount(p);
  if (TF_NumDims(p) != 1 || !same_dims(p, grad) || !same_dims(p, m) || !same_dims(p, v)) return call.fail(TF_INVALID_ARGUMENT, "MedstAdamW: param, grad, m and v must be 1-D of one length");
  const int64_t mask_size = TF_TensorElementCount(mask);
  if (mask_size != 1 && mask_size != n) return call.fail(TF_INVALID_ARGUMENT, "MedstAdamW: decay_mask must hold 1 value or one per parameter");
  if (TF_TensorElementCount(hyper) != 9) return call.fail(TF_INVALID_ARGUMENT, "MedstAdamW: hyper must hold 9 values");
  float* p_out = call.output(0, {n});
  float* m_out = call.output(1, {n});
  float* v_out = call.output(2, {n});
  if (!v_out) return;
  const float *ps = data(p), *gs = data(grad), *ms = data(m), *vs = data(v), *mk = data(mask), *hy = data(hyper);
  const bool per_element = mask_size == n && n != 1;
  parallel_for(n, attrs.threads, kMinElementsPerThread, [=](int64_t begin, int64_t end) {
    adamw_range(ps + begin, gs + begin, ms + begin, vs + begin, per_element ? mk + begin : mk, per_element, hy, p_out + begin, m_out + begin, v_out + begin, end - begin);
  });
}

// Σ x² in double (a gradient's squared norm for clipping): one pass, no
// temporary, and no float32 rounding growing with the parameter count.
MEDST_VECTOR_CLONES double sum_squares_range(const float* __restrict x, int64_t n) {
  double acc[8] = {0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; ++k) acc[k] += static_cast<double>(x[i + k]) * x[i + k];
  double total = 0.0;
  for (; i < n; ++i) total += static_cast<double>(x[i]) * x[i];
  for (int k = 0; k < 8; ++k) total += acc[k];
  return total;
}

void sum_squares_compute(void* raw, TF_OpKernelContext* ctx) {
  const Attrs& attrs = *static_cast<Attrs*>(raw);
  Call call(ctx);
  TF_Tensor* x = call.input(0);
  if (!x) return;
  float* out = call.output(0, {});
  if (!out) return;
  const int64_t n = TF_TensorElementCount(x);
  const float* xs = data(x);
  // Fixed parts, added in order: the same result for the same thread count.
  const int parts = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(attrs.threads, n / kMinElementsPerThread)));
  std::vector<double> partial(parts, 0.0);
  const int64_t step = (n + parts - 1) / parts;
  parallel_for(parts, parts, 1, [&](int64_t p_begin, int64_t p_end) {
    for (int64_t p = p_begin; p < p_end; ++p) {
      const int64_t begin = p * step, end = std::min(n, (p + 1) * step);
      if (begin < end) partial[p] = sum_squares_range(xs + begin, end - begin);
    }
  });
  double total = 0.0;
  for (double part : partial) total += part;
  *out = static_cast<float>(total);
}

// -------------------------------------------------------- registration

void unknown_shape(TF_ShapeInferenceContext* ctx, TF_Status* status) { TF_ShapeInferenceContextSetUnknownShape(ctx, status); }

bool register_op(const char* name, std::initializer_list<const char*> inputs, std::initializer_list<const char*> outputs,
                 std::initializer_list<const char*> attrs, void (*compute)(void*, TF_OpKernelContext*)) {
  TF_Status* status = TF_NewStatus();
  TF_OpDefinitionBuilder* op = TF_NewOpDefinitionBuilder(name);
  for (const char* spec : inputs) TF_OpDefinitionBuilderAddInput(op, spec);
  for (const char* spec : outputs) TF_OpDefinitionBuilderAddOutput(op, spec);
  for (const char* spec : attrs) TF_OpDefinitionBuilderAddAttr(op, spec);
  TF_OpDefinitionBuilderSetShapeInferenceFunction(op, &unknown_shape);
  TF_RegisterOpDefinition(op, status);
  bool ok = TF_GetCode(status) == TF_OK;
  if (ok) {
    TF_KernelBuilder* kernel = TF_NewKernelBuilder(name, "CPU", &create_attrs, compute, &delete_attrs);
    TF_RegisterKernelBuilder(name, kernel, status);
    ok = TF_GetCode(status) == TF_OK;
  }
  TF_DeleteStatus(status);
  return ok;
}

bool register_all() {
  static const bool ok = register_op("MedstGelu", {"x: float"}, {"y: float"}, {"threads: int = 1"}, &gelu_compute) &&
                         register_op("MedstGeluGrad", {"dy: float", "x: float"}, {"dx: float"}, {"threads: int = 1"}, &gelu_grad_compute) &&
                         register_op("MedstLayerNorm", {"x: float", "gamma: float", "beta: float"}, {"y: float", "mean: float", "rstd: float"},
                                     {"epsilon: float", "threads: int = 1"}, &layer_norm_compute) &&
                         register_op("MedstLayerNormGrad", {"dy: float", "x: float", "gamma: float", "mean: float", "rstd: float"},
                                     {"dx: float", "dgamma: float", "dbeta: float"}, {"threads: int = 1"}, &layer_norm_grad_compute) &&
                         register_op("MedstAdamW", {"param: float", "grad: float", "m: float", "v: float", "decay_mask: float", "hyper: float"},
                                     {"param_out: float", "m_out: float", "v_out: float"}, {"threads: int = 1"}, &adamw_compute) &&
                         register_op("MedstSumSquares", {"x: float"}, {"sum: float"}, {"threads: int = 1"}, &sum_squares_compute);
  return ok;
}

}  // namespace

// The addon's exports: { registered: boolean, version: number } (version: the op set's revision).
NAPI_MODULE_INIT() {
  napi_value registered, version;
  napi_get_boolean(env, register_all(), &registered);
  napi_create_int32(env, 3, &version);
  napi_set_named_property(env, exports, "registered", registered);
  napi_set_named_property(env, exports, "version", version);
  return exports;
}
