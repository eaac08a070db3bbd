/*
 * Node-API bindings of the native kernels: each kernel of the contract in
 * src/backend/kernels.ts takes Float32Arrays and computes on their memory in place. Every
 * call checks that the elements it will touch lie inside the arrays it was given and throws
 * a RangeError naming the argument otherwise, so a wrong shape is an exception, never a
 * write outside an array. src/node/native.ts wraps these as `Kernels`.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <stdio.h>
#include <string.h>
#include "rnnkit.h"

#define MAX_ARGS 16

typedef struct {
  napi_env env;
  const char *fn;
  napi_value argv[MAX_ARGS];
  size_t argc;
  int failed;
} Call;

static void fail(Call *c, const char *what) {
  if (c->failed) return;
  char msg[256];
  snprintf(msg, sizeof msg, "native %s: %s", c->fn, what);
  napi_throw_range_error(c->env, NULL, msg);
  c->failed = 1;
}

static int begin(Call *c, napi_env env, napi_callback_info info, const char *fn, size_t want) {
  c->env = env;
  c->fn = fn;
  c->failed = 0;
  c->argc = MAX_ARGS;
  if (napi_get_cb_info(env, info, &c->argc, c->argv, NULL, NULL) != napi_ok) {
    fail(c, "cannot read the arguments");
    return 0;
  }
  if (c->argc < want) {
    char msg[96];
    snprintf(msg, sizeof msg, "expected %zu arguments, got %zu", want, c->argc);
    fail(c, msg);
    return 0;
  }
  return 1;
}

static int int_arg(Call *c, size_t i, const char *name) {
  int32_t v = 0;
  if (!c->failed && napi_get_value_int32(c->env, c->argv[i], &v) != napi_ok) {
    char msg[96];
    snprintf(msg, sizeof msg, "%s must be a number", name);
    fail(c, msg);
  }
  return v;
}

static double num_arg(Call *c, size_t i, const char *name) {
  double v = 0;
  if (!c->failed && napi_get_value_double(c->env, c->argv[i], &v) != napi_ok) {
    char msg[96];
    snprintf(msg, sizeof msg, "%s must be a number", name);
    fail(c, msg);
  }
  return v;
}

static int bool_arg(Call *c, size_t i, const char *name) {
  bool v = false;
  if (!c->failed && napi_get_value_bool(c->env, c->argv[i], &v) != napi_ok) {
    char msg[96];
    snprintf(msg, sizeof msg, "%s must be a boolean", name);
    fail(c, msg);
  }
  return v;
}

/*
 * The Float32Array at argument i, which must hold at least `need` elements (need < 0: any
 * length). With `optional`, null or undefined give NULL.
 */
static float *floats_arg(Call *c, size_t i, const char *name, double need, int optional) {
  if (c->failed) return NULL;
  napi_valuetype t;
  if (optional && napi_typeof(c->env, c->argv[i], &t) == napi_ok && (t == napi_null || t == napi_undefined)) return NULL;
  bool is_typed = false;
  napi_typedarray_type type;
  size_t length = 0;
  void *data = NULL;
  char msg[160];
  if (napi_is_typedarray(c->env, c->argv[i], &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(c->env, c->argv[i], &type, &length, &data, NULL, NULL) != napi_ok ||
      type != napi_float32_array) {
    snprintf(msg, sizeof msg, "%s must be a Float32Array", name);
    fail(c, msg);
    return NULL;
  }
  if (need > (double)length) {
    snprintf(msg, sizeof msg, "%s holds %zu floats, the call reads or writes %.0f", name, length, need);
    fail(c, msg);
    return NULL;
  }
  return data;
}

static napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

/* Elements a strided rows × cols operand spans from offset `off` (0 when empty). */
static double span(double off, double rows, double cols, double ld) {
  return rows <= 0 || cols <= 0 ? 0 : off + (rows - 1) * ld + cols;
}

/* gemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc) */
static napi_value js_gemm(napi_env env, napi_callback_info info) {
  Call c;
  if (!begin(&c, env, info, "gemm", 16)) return NULL;
  const int ta = bool_arg(&c, 0, "transA"), tb = bool_arg(&c, 1, "transB");
  const int m = int_arg(&c, 2, "m"), n = int_arg(&c, 3, "n"), k = int_arg(&c, 4, "k");
  const float alpha = (float)num_arg(&c, 5, "alpha");
  const int aOff = int_arg(&c, 7, "aOff"), lda = int_arg(&c, 8, "lda");
  const int bOff = int_arg(&c, 10, "bOff"), ldb = int_arg(&c, 11, "ldb");
  const float beta = (float)num_arg(&c, 12, "beta");
  const int cOff = int_arg(&c, 14, "cOff"), ldc = int_arg(&c, 15, "ldc");
  if (c.failed) return NULL;
  if (m < 0 || n < 0 || k < 0 || aOff < 0 || bOff < 0 || cOff < 0) {
    fail(&c, "sizes and offsets must be non-negative");
    return NULL;
  }
  if (lda < (ta ? m : k) || ldb < (tb ? k : n) || ldc < n) {
    fail(&c, "a leading dimension is smaller than its operand's row");
    return NULL;
  }
  /* A is stored [m,k] (or [k,m] transposed), B [k,n] (or [n,k]). */
  const double kk = m > 0 && n > 0 ? k : 0;
  float *a = floats_arg(&c, 6, "a", ta ? span(aOff, kk, m, lda) : span(aOff, m, kk, lda), 0);
  float *b = floats_arg(&c, 9, "b", tb ? span(bOff, n, kk, ldb) : span(bOff, kk, n, ldb), 0);
  float *cc = floats_arg(&c, 13, "c", span(cOff, m, n, ldc), 0);
  if (c.failed) return NULL;
  GemmArgs g = {m, n, k, alpha, beta,
                a + aOff, ta ? 1 : lda, ta ? lda : 1,
                b + bOff, tb ? 1 : ldb, tb ? ldb : 1,
                cc + cOff, ldc};
  rnnkit_gemm(&g);
  return undefined(env);
}

/* affine(B, n, k1, k2, x1, w1, x2, w2, b1, b2, y) */
static napi_value js_affine(napi_env env, napi_callback_info info) {
  Call c;
  if (!begin(&c, env, info, "affine", 11)) return NULL;
  const int B = int_arg(&c, 0, "B"), n = int_arg(&c, 1, "n"), k1 = int_arg(&c, 2, "k1"), k2 = int_arg(&c, 3, "k2");
  if (c.failed) return NULL;
  if (B < 0 || n < 0 || k1 < 0 || k2 < 0) {
    fail(&c, "sizes must be non-negative");
    return NULL;
  }
  const float *x1 = floats_arg(&c, 4, "x1", (double)B * k1, 0);
  const float *w1 = floats_arg(&c, 5, "w1", (double)n * k1, 0);
  const float *x2 = floats_arg(&c, 6, "x2", (double)B * k2, 1);
  const float *w2 = x2 == NULL ? NULL : floats_arg(&c, 7, "w2", (double)n * k2, 0);
  const float *b1 = floats_arg(&c, 8, "b1", n, 1);
  const float *b2 = b1 == NULL ? NULL : floats_arg(&c, 9, "b2", n, 1);
  float *y = floats_arg(&c, 10, "y", (double)B * n, 0);
  if (c.failed) return NULL;
  rnnkit_affine(B, n, k1, x2 == NULL ? 0 : k2, x1, w1, x2, w2, b1, b2, y);
  return undefined(env);
}

static int act_arg(Call *c, size_t i) {
  const int act = int_arg(c, i, "act");
  if (!c->failed && (act < 0 || act > 2)) fail(c, "act must be 0 (tanh), 1 (relu) or 2 (sigmoid)");
  return act;
}

static int gate_arg(Call *c, size_t i) {
  const int gate = int_arg(c, i, "gate");
  if (!c->failed && (gate < 0 || gate > 2)) fail(c, "gate must be 0 (sigmoid), 1 (hardSigmoid) or 2 (hardSigmoid6)");
  return gate;
}

static int sizes_ok(Call *c, int a, int b) {
  if (c->failed) return 0;
  if (a < 0 || b < 0) {
    fail(c, "sizes must be non-negative");
    return 0;
  }
  return 1;
}

/* rnnGatesForward(act, n, pre, h) */
static napi_value js_rnn_forward(napi_env env, napi_callback_info info) {
  Call c;
  if (!begin(&c, env, info, "rnnGatesForward", 4)) return NULL;
  const int act = act_arg(&c, 0), n = int_arg(&c, 1, "n");
  if (!sizes_ok(&c, n, 0)) return NULL;
  const float *pre = floats_arg(&c, 2, "pre", n, 0);
  float *h = floats_arg(&c, 3, "h", n, 0);
  if (c.failed) return NULL;
  rnnkit_rnn_forward(act, n, pre, h);
  return undefined(env);
}

/* rnnGatesBackward(act, n, h, dh, dPre) */
static napi_value js_rnn_backward(napi_env env, napi_callback_info info) {
  Call c;
  if (!begin(&c, env, info, "rnnGatesBackward", 5)) return NULL;
  const int act = act_arg(&c, 0), n = int_arg(&c, 1, "n");
  if (!sizes_ok(&c, n, 0)) return NULL;
  const float *h = floats_arg(&c, 2, "h", n, 0), *dh = floats_arg(&c, 3, "dh", n, 0);
  float *dPre = floats_arg(&c, 4, "dPre", n, 0);
  if (c.failed) return NULL;
  rnnkit_rnn_backward(act, n, h, dh, dPre);
  return undefined(env);
}

/* lstmGatesForward(B, H, gates, cPrev, c, tanhC, h, gate) */
static napi_value js_lstm_forward(napi_env env, napi_callback_info info) {
  Call c;
  if (!begin(&c, env, info, "lstmGatesForward", 8)) return NULL;
  const int B = int_arg(&c, 0, "B"), H = int_arg(&c, 1, "H"), gate = gate_arg(&c, 7);
  if (!sizes_ok(&c, B, H)) return NULL;
  const double bh = (double)B * H;
  float *gates = floats_arg(&c, 2, "gates", 4 * bh, 0);
  const float *cPrev = floats_arg(&c, 3, "cPrev", bh, 0);
  float *cc = floats_arg(&c, 4, "c", bh, 0), *tanhC = floats_arg(&c, 5, "tanhC", bh, 0), *h = floats_arg(&c, 6, "h", bh, 0);
  if (c.failed) return NULL;
  rnnkit_lstm_forward(gate, B, H, gates, cPrev, cc, tanhC, h);
  return undefined(env);
}

/* lstmGatesBackward(B, H, gates, cPrev, tanhC, dh, dc, dGates, gate) */
static napi_value js_lstm_backward(napi_env env, napi_callback_info info) {
  Call c;
  if (!begin(&c, env, info, "lstmGatesBackward", 9)) return NULL;
  const int B = int_arg(&c, 0, "B"), H = int_arg(&c, 1, "H"), gate = gate_arg(&c, 8);
  if (!sizes_ok(&c, B, H)) return NULL;
  const double bh = (double)B * H;
  const float *gates = floats_arg(&c, 2, "gates", 4 * bh, 0), *cPrev = floats_arg(&c, 3, "cPrev", bh, 0);
  const float *tanhC = floats_arg(&c, 4, "tanhC", bh, 0), *dh = floats_arg(&c, 5, "dh", bh, 0);
  float *dc = floats_arg(&c, 6, "dc", bh, 0), *dGates = floats_arg(&c, 7, "dGates", 4 * bh, 0);
  if (c.failed) return NULL;
  rnnkit_lstm_backward(gate, B, H, gates, cPrev, tanhC, dh, dc, dGates);
  return undefined(env);
}

/* gruGatesForward(B, H, gi, gh, hPrev, gates, h, gate) */
static napi_value js_gru_forward(napi_env env, napi_callback_info info) {
  Call c;
  if (!begin(&c, env, info, "gruGatesForward", 8)) return NULL;
  const int B = int_arg(&c, 0, "B"), H = int_arg(&c, 1, "H"), gate = gate_arg(&c, 7);
  if (!sizes_ok(&c, B, H)) return NULL;
  const double bh = (double)B * H;
  const float *gi = floats_arg(&c, 2, "gi", 3 * bh, 0), *gh = floats_arg(&c, 3, "gh", 3 * bh, 0);
  const float *hPrev = floats_arg(&c, 4, "hPrev", bh, 0);
  float *gates = floats_arg(&c, 5, "gates", 3 * bh, 0), *h = floats_arg(&c, 6, "h", bh, 0);
  if (c.failed) return NULL;
  rnnkit_gru_forward(gate, B, H, gi, gh, hPrev, gates, h);
  return undefined(env);
}

/* gruGatesBackward(B, H, gates, gh, hPrev, dh, dGi, dGh, dhPrev, gate) */
static napi_value js_gru_backward(napi_env env, napi_callback_info info) {
  Call c;
  if (!begin(&c, env, info, "gruGatesBackward", 10)) return NULL;
  const int B = int_arg(&c, 0, "B"), H = int_arg(&c, 1, "H"), gate = gate_arg(&c, 9);
  if (!sizes_ok(&c, B, H)) return NULL;
  const double bh = (double)B * H;
  const float *gates = floats_arg(&c, 2, "gates", 3 * bh, 0), *gh = floats_arg(&c, 3, "gh", 3 * bh, 0);
  const float *hPrev = floats_arg(&c, 4, "hPrev", bh, 0), *dh = floats_arg(&c, 5, "dh", bh, 0);
  float *dGi = floats_arg(&c, 6, "dGi", 3 * bh, 0), *dGh = floats_arg(&c, 7, "dGh", 3 * bh, 0);
  float *dhPrev = floats_arg(&c, 8, "dhPrev", bh, 0);
  if (c.failed) return NULL;
  rnnkit_gru_backward(gate, B, H, gates, gh, hPrev, dh, dGi, dGh, dhPrev);
  return undefined(env);
}

/* gruResetBeforeForward(B, H, gi, gh, hPrev, rh, gate) */
static napi_value js_gru_reset_before_forward(napi_env env, napi_callback_info info) {
  Call c;
  if (!begin(&c, env, info, "gruResetBeforeForward", 7)) return NULL;
  const int B = int_arg(&c, 0, "B"), H = int_arg(&c, 1, "H"), gate = gate_arg(&c, 6);
  if (!sizes_ok(&c, B, H)) return NULL;
  const double bh = (double)B * H;
  const float *gi = floats_arg(&c, 2, "gi", 3 * bh, 0), *gh = floats_arg(&c, 3, "gh", 3 * bh, 0);
  const float *hPrev = floats_arg(&c, 4, "hPrev", bh, 0);
  float *rh = floats_arg(&c, 5, "rh", bh, 0);
  if (c.failed) return NULL;
  rnnkit_gru_reset_before_forward(gate, B, H, gi, gh, hPrev, rh);
  return undefined(env);
}

/* gruResetBeforeBackward(B, H, gates, hPrev, dRh, dGi, dGh, dhPrev, gate) */
static napi_value js_gru_reset_before_backward(napi_env env, napi_callback_info info) {
  Call c;
  if (!begin(&c, env, info, "gruResetBeforeBackward", 9)) return NULL;
  const int B = int_arg(&c, 0, "B"), H = int_arg(&c, 1, "H"), gate = gate_arg(&c, 8);
  if (!sizes_ok(&c, B, H)) return NULL;
  const double bh = (double)B * H;
  const float *gates = floats_arg(&c, 2, "gates", 3 * bh, 0), *hPrev = floats_arg(&c, 3, "hPrev", bh, 0);
  const float *dRh = floats_arg(&c, 4, "dRh", bh, 0);
  float *dGi = floats_arg(&c, 5, "dGi", 3 * bh, 0), *dGh = floats_arg(&c, 6, "dGh", 3 * bh, 0);
  float *dhPrev = floats_arg(&c, 7, "dhPrev", bh, 0);
  if (c.failed) return NULL;
  rnnkit_gru_reset_before_backward(gate, B, H, gates, hPrev, dRh, dGi, dGh, dhPrev);
  return undefined(env);
}

/* setThreads(n) → the threads in effect */
static napi_value js_set_threads(napi_env env, napi_callback_info info) {
  Call c;
  if (!begin(&c, env, info, "setThreads", 1)) return NULL;
  const int n = int_arg(&c, 0, "n");
  if (c.failed) return NULL;
  napi_value r;
  napi_create_int32(env, rnnkit_pool_set_threads(n), &r);
  return r;
}

/* setMinThreadWork(multiplyAdds) */
static napi_value js_set_min_thread_work(napi_env env, napi_callback_info info) {
  Call c;
  if (!begin(&c, env, info, "setMinThreadWork", 1)) return NULL;
  const double w = num_arg(&c, 0, "work");
  if (c.failed) return NULL;
  rnnkit_gemm_set_min_thread_work(w);
  return undefined(env);
}

/* gemmVariants() → the variants this CPU runs, best first, comma-separated */
static napi_value js_gemm_variants(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value r;
  napi_create_string_utf8(env, rnnkit_gemm_available(), NAPI_AUTO_LENGTH, &r);
  return r;
}

/* useGemmVariant(name) → whether it is now in use */
static napi_value js_use_gemm_variant(napi_env env, napi_callback_info info) {
  Call c;
  if (!begin(&c, env, info, "useGemmVariant", 1)) return NULL;
  char name[32];
  size_t len = 0;
  if (napi_get_value_string_utf8(env, c.argv[0], name, sizeof name, &len) != napi_ok) {
    fail(&c, "name must be a string");
    return NULL;
  }
  napi_value r;
  napi_get_boolean(env, rnnkit_gemm_use(name), &r);
  return r;
}

NAPI_MODULE_INIT() {
  static const struct {
    const char *name;
    napi_callback fn;
  } fns[] = {
      {"gemm", js_gemm},
      {"affine", js_affine},
      {"rnnGatesForward", js_rnn_forward},
      {"rnnGatesBackward", js_rnn_backward},
      {"lstmGatesForward", js_lstm_forward},
      {"lstmGatesBackward", js_lstm_backward},
      {"gruGatesForward", js_gru_forward},
      {"gruGatesBackward", js_gru_backward},
      {"gruResetBeforeForward", js_gru_reset_before_forward},
      {"gruResetBeforeBackward", js_gru_reset_before_backward},
      {"setThreads", js_set_threads},
      {"setMinThreadWork", js_set_min_thread_work},
      {"gemmVariants", js_gemm_variants},
      {"useGemmVariant", js_use_gemm_variant},
  };
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_value f;
    if (napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, NULL, &f) != napi_ok ||
        napi_set_named_property(env, exports, fns[i].name, f) != napi_ok) {
      return NULL;
    }
  }
  return exports;
}
