/*
 * The pointwise gate kernels of the kernel contract (src/backend/kernels.ts), forward and
 * backward side by side: the equations of the TypeScript reference (src/backend/ts),
 * computed in float32 with the fast functions of vecmath.h, as the WebAssembly kernels do
 * (kernels/gates.ts), and giving their bits. Each loop runs over the units of one row and
 * is vectorised by the compiler; on x86-64 Linux it is compiled for AVX-512, AVX2 and the
 * baseline, picked when the library loads (same operations, so the same bits on each).
 *
 * Rows narrower than a vector (the hidden sizes of 1–15 units of small models) would leave
 * those loops scalar, so such batches are restaged first: the gate blocks of up to STAGE_UNITS
 * units are copied side by side, as if the rows were one wide row, computed, and copied back.
 * A unit's arithmetic does not depend on where it lies, so the bits are the same.
 *
 * The LSTM and GRU kernels take the gate activation as a code (GATE_…, as `gateCode` in
 * src/backend/kernels.ts). Each row function branches on it once and runs a loop body
 * inlined with that constant, so every loop is vectorised for one activation and the
 * sigmoid loop is the code it was.
 */
#include <string.h>
#include "rnnkit.h"
#include "vecmath.h"

enum { ACT_TANH = 0, ACT_RELU = 1, ACT_SIGMOID = 2 };
enum { GATE_SIGMOID = 0, GATE_HARD = 1, GATE_HARD6 = 2 };

#define ALWAYS_INLINE static inline __attribute__((always_inline))
#define HARD_SLOPE 0.2f
#define HARD6_SLOPE (1.0f / 6.0f)

/* clip(slope·x + 0.5, 0, 1), rounded as kernels/vec.ts `vhardSigmoid` (NaN passes through). */
ALWAYS_INLINE float hard_sigmoid(float x, float slope) {
  return pmin(pmax(x * slope + 0.5f, 0.0f), 1.0f);
}

/* The gate activation s(x): σ, clip(0.2·x + 0.5, 0, 1) or clip(x/6 + 0.5, 0, 1). */
ALWAYS_INLINE float gate_act(int gate, float x) {
  if (gate == GATE_HARD) return hard_sigmoid(x, HARD_SLOPE);
  if (gate == GATE_HARD6) return hard_sigmoid(x, HARD6_SLOPE);
  return fast_sigmoid(x);
}

/* g·s'(x) through y = s(x): σ gives (g·y)·(1 − y); a hard sigmoid its slope where 0 < y < 1, else 0. */
ALWAYS_INLINE float gate_grad(int gate, float g, float y) {
  if (gate == GATE_HARD) return y > 0.0f && y < 1.0f ? g * HARD_SLOPE : 0.0f;
  if (gate == GATE_HARD6) return y > 0.0f && y < 1.0f ? g * HARD6_SLOPE : 0.0f;
  return g * y * (1.0f - y);
}

/* Calls BODY(gate, ...) with the gate as a compile-time constant: one branch per call. */
#define FOR_GATE(gate, BODY, ...)                 \
  do {                                            \
    if ((gate) == GATE_HARD) BODY(GATE_HARD, __VA_ARGS__);   \
    else if ((gate) == GATE_HARD6) BODY(GATE_HARD6, __VA_ARGS__); \
    else BODY(GATE_SIGMOID, __VA_ARGS__);         \
  } while (0)

/* ---- plain recurrent cell: h = act(pre) ---------------------------------------------- */

VECTOR_CLONES void rnnkit_rnn_forward(int act, int n, const float *restrict pre, float *restrict h) {
  if (act == ACT_TANH) {
    for (int i = 0; i < n; i++) h[i] = fast_tanh(pre[i]);
  } else if (act == ACT_RELU) {
    for (int i = 0; i < n; i++) h[i] = where_positive(pre[i], pre[i]);
  } else {
    for (int i = 0; i < n; i++) h[i] = fast_sigmoid(pre[i]);
  }
}

/* dPre = dh · act'(pre), written through h: tanh 1 − h², relu [h > 0], sigmoid h(1 − h). */
VECTOR_CLONES void rnnkit_rnn_backward(int act, int n, const float *restrict h, const float *restrict dh,
                                       float *restrict dPre) {
  if (act == ACT_TANH) {
    for (int i = 0; i < n; i++) dPre[i] = dh[i] * one_minus_square(h[i]);
  } else if (act == ACT_RELU) {
    for (int i = 0; i < n; i++) dPre[i] = where_positive(h[i], dh[i]);
  } else {
    for (int i = 0; i < n; i++) dPre[i] = dh[i] * h[i] * (1.0f - h[i]);
  }
}

/* ---- LSTM: gates [B,4H] (i|f|g|o), states [B,H] -------------------------------------- */

/*
 * i, f, o = σ(pre), g = tanh(pre) (written back over the pre-activations),
 * c = f⊙cPrev + i⊙g,  tanhC = tanh(c),  h = o⊙tanhC.
 */
ALWAYS_INLINE void lstm_forward_body(int gate, int B, int H, float *restrict gates, const float *restrict cPrev,
                                     float *restrict c, float *restrict tanhC, float *restrict h) {
  for (int b = 0; b < B; b++) {
    float *restrict gi = gates + (ptrdiff_t)b * 4 * H, *restrict gf = gi + H, *restrict gg = gf + H, *restrict go = gg + H;
    const float *restrict cp = cPrev + (ptrdiff_t)b * H;
    float *restrict cb = c + (ptrdiff_t)b * H, *restrict tb = tanhC + (ptrdiff_t)b * H, *restrict hb = h + (ptrdiff_t)b * H;
    for (int j = 0; j < H; j++) {
      const float i = gate_act(gate, gi[j]), f = gate_act(gate, gf[j]), g = fast_tanh(gg[j]), o = gate_act(gate, go[j]);
      gi[j] = i;
      gf[j] = f;
      gg[j] = g;
      go[j] = o;
      const float cNew = f * cp[j] + i * g;
      cb[j] = cNew;
      const float tc = fast_tanh(cNew);
      tb[j] = tc;
      hb[j] = o * tc;
    }
  }
}

VECTOR_CLONES static void lstm_forward_rows(int gate, int B, int H, float *gates, const float *cPrev, float *c,
                                            float *tanhC, float *h) {
  FOR_GATE(gate, lstm_forward_body, B, H, gates, cPrev, c, tanhC, h);
}

/*
 * δc = dc + dh⊙o⊙(1 − tanhC²);  dI = δc⊙g⊙s'(i), dF = δc⊙cPrev⊙s'(f), dG = δc⊙i⊙(1−g²),
 * dO = dh⊙tanhC⊙s'(o);  dc ← δc⊙f (∂L/∂c_{t−1}); s' through the output (σ: i(1−i)).
 */
ALWAYS_INLINE void lstm_backward_body(int gate, int B, int H, const float *restrict gates, const float *restrict cPrev,
                                      const float *restrict tanhC, const float *restrict dh, float *restrict dc,
                                      float *restrict dGates) {
  for (int b = 0; b < B; b++) {
    const float *restrict gi = gates + (ptrdiff_t)b * 4 * H, *restrict gf = gi + H, *restrict gg = gf + H, *restrict go = gg + H;
    float *restrict di = dGates + (ptrdiff_t)b * 4 * H, *restrict df = di + H, *restrict dg = df + H, *restrict dO = dg + H;
    const ptrdiff_t s = (ptrdiff_t)b * H;
    for (int j = 0; j < H; j++) {
      const float i = gi[j], f = gf[j], g = gg[j], o = go[j], tc = tanhC[s + j], dhj = dh[s + j];
      const float dcT = dc[s + j] + dhj * o * one_minus_square(tc);
      di[j] = gate_grad(gate, dcT * g, i);
      df[j] = gate_grad(gate, dcT * cPrev[s + j], f);
      dg[j] = dcT * i * one_minus_square(g);
      dO[j] = gate_grad(gate, dhj * tc, o);
      dc[s + j] = dcT * f;
    }
  }
}

VECTOR_CLONES static void lstm_backward_rows(int gate, int B, int H, const float *gates, const float *cPrev,
                                             const float *tanhC, const float *dh, float *dc, float *dGates) {
  FOR_GATE(gate, lstm_backward_body, B, H, gates, cPrev, tanhC, dh, dc, dGates);
}

/* ---- GRU (PyTorch's form): gi, gh, gates [B,3H] (r|z|n), states [B,H] ---------------- */

/* r = s(gi_r+gh_r), z = s(gi_z+gh_z), n = tanh(gi_n + r⊙gh_n), h = (1−z)⊙n + z⊙hPrev. */
ALWAYS_INLINE void gru_forward_body(int gate, int B, int H, const float *restrict gi, const float *restrict gh,
                                    const float *restrict hPrev, float *restrict gates, float *restrict h) {
  for (int b = 0; b < B; b++) {
    const ptrdiff_t row = (ptrdiff_t)b * 3 * H, s = (ptrdiff_t)b * H;
    const float *restrict xr = gi + row, *restrict xz = xr + H, *restrict xn = xz + H;
    const float *restrict hr = gh + row, *restrict hz = hr + H, *restrict hn = hz + H;
    float *restrict gr = gates + row, *restrict gz = gr + H, *restrict gn = gz + H;
    for (int j = 0; j < H; j++) {
      const float r = gate_act(gate, xr[j] + hr[j]);
      const float z = gate_act(gate, xz[j] + hz[j]);
      const float n = fast_tanh(xn[j] + r * hn[j]);
      gr[j] = r;
      gz[j] = z;
      gn[j] = n;
      h[s + j] = (1.0f - z) * n + z * hPrev[s + j];
    }
  }
}

VECTOR_CLONES static void gru_forward_rows(int gate, int B, int H, const float *gi, const float *gh, const float *hPrev,
                                           float *gates, float *h) {
  FOR_GATE(gate, gru_forward_body, B, H, gi, gh, hPrev, gates, h);
}

/*
 * dn = dh⊙(1−z)⊙(1−n²), dr = dn⊙gh_n⊙s'(r), dz = dh⊙(hPrev−n)⊙s'(z);
 * dGi = dr|dz|dn, dGh = dr|dz|dn⊙r, dhPrev = dh⊙z (the W_hh part is the caller's GEMM).
 */
ALWAYS_INLINE void gru_backward_body(int gate, int B, int H, const float *restrict gates, const float *restrict gh,
                                     const float *restrict hPrev, const float *restrict dh, float *restrict dGi,
                                     float *restrict dGh, float *restrict dhPrev) {
  for (int b = 0; b < B; b++) {
    const ptrdiff_t row = (ptrdiff_t)b * 3 * H, s = (ptrdiff_t)b * H;
    const float *restrict gr = gates + row, *restrict gz = gr + H, *restrict gn = gz + H, *restrict hn = gh + row + 2 * H;
    float *restrict ir = dGi + row, *restrict iz = ir + H, *restrict in = iz + H;
    float *restrict hr = dGh + row, *restrict hz = hr + H, *restrict hnn = hz + H;
    for (int j = 0; j < H; j++) {
      const float r = gr[j], z = gz[j], n = gn[j], dhj = dh[s + j];
      const float dn = dhj * (1.0f - z) * one_minus_square(n);
      const float dr = gate_grad(gate, dn * hn[j], r);
      const float dz = gate_grad(gate, dhj * (hPrev[s + j] - n), z);
      ir[j] = dr;
      hr[j] = dr;
      iz[j] = dz;
      hz[j] = dz;
      in[j] = dn;
      hnn[j] = dn * r;
      dhPrev[s + j] = dhj * z;
    }
  }
}

VECTOR_CLONES static void gru_backward_rows(int gate, int B, int H, const float *gates, const float *gh,
                                            const float *hPrev, const float *dh, float *dGi, float *dGh, float *dhPrev) {
  FOR_GATE(gate, gru_backward_body, B, H, gates, gh, hPrev, dh, dGi, dGh, dhPrev);
}

/* ---- the reset-before GRU's extra parts (rare: the gate is chosen per unit) ---------- */

/* rh = s(gi_r + gh_r)⊙hPrev: the gated state the W_hn GEMM reads. */
VECTOR_CLONES void rnnkit_gru_reset_before_forward(int gate, int B, int H, const float *restrict gi,
                                                   const float *restrict gh, const float *restrict hPrev,
                                                   float *restrict rh) {
  for (int b = 0; b < B; b++) {
    const ptrdiff_t row = (ptrdiff_t)b * 3 * H, s = (ptrdiff_t)b * H;
    for (int j = 0; j < H; j++) rh[s + j] = gate_act(gate, gi[row + j] + gh[row + j]) * hPrev[s + j];
  }
}

/* dGi_r = dGh_r = dRh⊙hPrev⊙s'(r), dGh_n = dGi_n, dhPrev += dRh⊙r (after gru backward with gh_n = 0). */
VECTOR_CLONES void rnnkit_gru_reset_before_backward(int gate, int B, int H, const float *restrict gates,
                                                    const float *restrict hPrev, const float *restrict dRh,
                                                    float *restrict dGi, float *restrict dGh, float *restrict dhPrev) {
  for (int b = 0; b < B; b++) {
    const ptrdiff_t row = (ptrdiff_t)b * 3 * H, s = (ptrdiff_t)b * H;
    for (int j = 0; j < H; j++) {
      const float r = gates[row + j], d = dRh[s + j];
      const float dr = gate_grad(gate, d * hPrev[s + j], r);
      dGi[row + j] = dr;
      dGh[row + j] = dr;
      dGh[row + 2 * H + j] = dGi[row + 2 * H + j];
      dhPrev[s + j] = dhPrev[s + j] + d * r;
    }
  }
}

/* ---- narrow rows: restaged as one wide row ------------------------------------------- */

#define NARROW_H 16
#define STAGE_UNITS 1024

/*
 * Copies `rows` rows of G gate blocks of H units ([rows, G·H], row-major) to or from the
 * layout of one row of rows·H units ([G, rows·H]): gate q of unit (r, j) at q·rows·H + r·H + j.
 */
static void restage(float *restrict flat, float *restrict wide, int rows, int H, int G, int toFlat) {
  const ptrdiff_t units = (ptrdiff_t)rows * H;
  for (int r = 0; r < rows; r++) {
    for (int q = 0; q < G; q++) {
      float *f = flat + q * units + (ptrdiff_t)r * H;
      float *w = wide + ((ptrdiff_t)r * G + q) * H;
      if (toFlat) memcpy(f, w, (size_t)H * sizeof(float));
      else memcpy(w, f, (size_t)H * sizeof(float));
    }
  }
}

/* Rows per restaged chunk. */
static int chunk_rows(int H) {
  return STAGE_UNITS / H;
}

void rnnkit_lstm_forward(int gate, int B, int H, float *gates, const float *cPrev, float *c, float *tanhC, float *h) {
  if (H >= NARROW_H || B == 1) {
    lstm_forward_rows(gate, B, H, gates, cPrev, c, tanhC, h);
    return;
  }
  float staged[4 * STAGE_UNITS];
  for (int b0 = 0; b0 < B; b0 += chunk_rows(H)) {
    const int rows = B - b0 < chunk_rows(H) ? B - b0 : chunk_rows(H);
    const ptrdiff_t s = (ptrdiff_t)b0 * H;
    restage(staged, gates + 4 * s, rows, H, 4, 1);
    lstm_forward_rows(gate, 1, rows * H, staged, cPrev + s, c + s, tanhC + s, h + s);
    restage(staged, gates + 4 * s, rows, H, 4, 0);
  }
}

void rnnkit_lstm_backward(int gate, int B, int H, const float *gates, const float *cPrev, const float *tanhC, const float *dh,
                          float *dc, float *dGates) {
  if (H >= NARROW_H || B == 1) {
    lstm_backward_rows(gate, B, H, gates, cPrev, tanhC, dh, dc, dGates);
    return;
  }
  float staged[4 * STAGE_UNITS], dStaged[4 * STAGE_UNITS];
  for (int b0 = 0; b0 < B; b0 += chunk_rows(H)) {
    const int rows = B - b0 < chunk_rows(H) ? B - b0 : chunk_rows(H);
    const ptrdiff_t s = (ptrdiff_t)b0 * H;
    restage(staged, (float *)gates + 4 * s, rows, H, 4, 1);
    lstm_backward_rows(gate, 1, rows * H, staged, cPrev + s, tanhC + s, dh + s, dc + s, dStaged);
    restage(dStaged, dGates + 4 * s, rows, H, 4, 0);
  }
}

void rnnkit_gru_forward(int gate, int B, int H, const float *gi, const float *gh, const float *hPrev, float *gates, float *h) {
  if (H >= NARROW_H || B == 1) {
    gru_forward_rows(gate, B, H, gi, gh, hPrev, gates, h);
    return;
  }
  float sgi[3 * STAGE_UNITS], sgh[3 * STAGE_UNITS], sgates[3 * STAGE_UNITS];
  for (int b0 = 0; b0 < B; b0 += chunk_rows(H)) {
    const int rows = B - b0 < chunk_rows(H) ? B - b0 : chunk_rows(H);
    const ptrdiff_t s = (ptrdiff_t)b0 * H;
    restage(sgi, (float *)gi + 3 * s, rows, H, 3, 1);
    restage(sgh, (float *)gh + 3 * s, rows, H, 3, 1);
    gru_forward_rows(gate, 1, rows * H, sgi, sgh, hPrev + s, sgates, h + s);
    restage(sgates, gates + 3 * s, rows, H, 3, 0);
  }
}

void rnnkit_gru_backward(int gate, int B, int H, const float *gates, const float *gh, const float *hPrev, const float *dh,
                         float *dGi, float *dGh, float *dhPrev) {
  if (H >= NARROW_H || B == 1) {
    gru_backward_rows(gate, B, H, gates, gh, hPrev, dh, dGi, dGh, dhPrev);
    return;
  }
  float sgates[3 * STAGE_UNITS], sgh[3 * STAGE_UNITS], sdi[3 * STAGE_UNITS], sdh[3 * STAGE_UNITS];
  for (int b0 = 0; b0 < B; b0 += chunk_rows(H)) {
    const int rows = B - b0 < chunk_rows(H) ? B - b0 : chunk_rows(H);
    const ptrdiff_t s = (ptrdiff_t)b0 * H;
    restage(sgates, (float *)gates + 3 * s, rows, H, 3, 1);
    restage(sgh, (float *)gh + 3 * s, rows, H, 3, 1);
    gru_backward_rows(gate, 1, rows * H, sgates, sgh, hPrev + s, dh + s, sdi, sdh, dhPrev + s);
    restage(sdi, dGi + 3 * s, rows, H, 3, 0);
    restage(sdh, dGh + 3 * s, rows, H, 3, 0);
  }
}
