/* chai_fx.h - the HLS kernel library's scalar rules of the fixed-point
 * contract (docs/fixed-point.md): rounding shift, saturation and
 * requantization as inline integer functions, bit for bit the runtime's
 * rt_fx_rshift / rt_fx_requant (tests/test_hls_fx.c checks it), and the
 * access macros of the dynamic II check (tests/hls_dyn.sh).  Written by
 * hand; chaicc copies it into each HLS project's hls/chai_fx.h after the
 * provenance header, without this comment (everything up to its end). */
#ifndef CHAI_FX_H
#define CHAI_FX_H

#include <stdint.h>

/* Rounding arithmetic right shift, half away from zero, 0 <= sh <= 62. */
static inline int64_t fx_rshift(int64_t x, int sh) {
  if (sh <= 0) return x;
  return (x + ((int64_t)1 << (sh - 1)) - (x < 0 ? 1 : 0)) >> sh;
}

/* Saturation to [lo, hi]. */
static inline int32_t fx_sat(int64_t v, int32_t lo, int32_t hi) {
  return v < lo ? lo : v > hi ? hi : (int32_t)v;
}

/* clamp(RHA(acc * M * 2^-sh)) for |acc| <= 2^31: the product fits 64 bits. */
static inline int32_t fx_requant32(int64_t acc, int32_t M, int sh, int32_t lo, int32_t hi) {
  return fx_sat(fx_rshift(acc * M, sh), lo, hi);
}

/* The same for any int64 accumulator: |acc| * |M| formed exactly as a
 * 96-bit (hi, lo) pair from 32-bit halves, rounded half up by 2^-sh, the
 * magnitude saturated at 2^62. */
static inline int32_t fx_requant64(int64_t acc, int32_t M, int sh, int32_t lo, int32_t hi) {
  const int64_t lim = (int64_t)1 << 31;
  int64_t r;
  if (acc >= -lim && acc <= lim) {
    r = fx_rshift(acc * M, sh);
  } else {
    uint64_t a = acc < 0 ? 0 - (uint64_t)acc : (uint64_t)acc;
    uint64_t m = M < 0 ? 0 - (uint64_t)(int64_t)M : (uint64_t)M;
    uint64_t al = a & 0xffffffffu, ah = a >> 32;
    uint64_t t1 = al * m, t2 = ah * m;
    uint64_t plo = t1 + (t2 << 32);
    uint64_t phi = (t2 >> 32) + (plo < t1 ? 1u : 0u);
    if (sh > 0) {
      uint64_t h = (uint64_t)1 << (sh - 1);
      uint64_t lo2 = plo + h;
      phi += lo2 < plo ? 1u : 0u;
      plo = (lo2 >> sh) | (phi << (64 - sh));
      phi >>= sh;
    }
    r = (phi || plo > ((uint64_t)1 << 62)) ? ((int64_t)1 << 62) : (int64_t)plo;
    if ((acc < 0) != (M < 0)) r = -r;
  }
  return fx_sat(r, lo, hi);
}

/* Two 8-bit products through one multiplier, as a DSP48E2 forms them
 * (Xilinx WP486; target.dsp_packing, docs/hls.md): the pre-adder makes
 * w1 * 2^18 + w0 (27 bits), the 27 x 18 multiplier multiplies it by the
 * shared activation a, so p = a*w0 + 2^18 * a*w1.  For codes of at most
 * 8 bits |a*w0| <= 2^14 < 2^17: a*w0 is the low 18 bits of p read as a
 * signed number (fx_lo18), and a*w1 = (p - a*w0) / 2^18 (fx_hi18), an
 * exact division.  Both are the plain products, bit for bit
 * (tests/test_hls_fx.c checks every a, w0, w1 in [-128, 127]). */
static inline int64_t fx_mul2(int32_t a, int32_t w0, int32_t w1) {
  return (int64_t)a * ((int64_t)w1 * 262144 + w0);
}
static inline int32_t fx_lo18(int64_t p) {
  int32_t l = (int32_t)((uint64_t)p & 0x3ffffu);
  return l >= 131072 ? l - 262144 : l;
}
static inline int32_t fx_hi18(int64_t p) { return (int32_t)((p - fx_lo18(p)) / 262144); }

/* Access macros of the generated HLS C (docs/hls.md "Dynamic II check").
 * Every array access inside a pipelined loop and every m_axi access goes
 * through one of them; CHAI_ITER opens a pipelined loop's iteration and
 * CHAI_ARRAYn describes an on-chip array's partitioning.  Normally they
 * are the plain access and nothing: what Vivado HLS and the bit-exact C
 * simulation compile is unchanged.  With -DCHAI_HLS_COUNT (testbench
 * only) they also count the accesses; see the section below. */
#ifndef CHAI_HLS_COUNT
#define CHAI_R(A, S) A S  /* on-chip array: read */
#define CHAI_W(A, S) A S  /* write */
#define CHAI_RW(A, S) A S /* read and write (+=) */
#define CHAI_MR(P, S) P S /* m_axi pointer: read */
#define CHAI_MW(P, S) P S /* write */
#define CHAI_ITER(L)
#define CHAI_ITER_U(L, i, F)
#define CHAI_ARRAY1(A, n0, m0, f0)
#define CHAI_ARRAY2(A, n0, m0, f0, n1, m1, f1)
#else
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Partitioning of one dimension, as the ARRAY_PARTITION / ARRAY_RESHAPE
 * pragma next to the CHAI_ARRAYn line says (tests/hls_ii.py's model). */
enum { CHAI_NONE, CHAI_COMPLETE, CHAI_CYCLIC, CHAI_BLOCK, CHAI_R_COMPLETE, CHAI_R_CYCLIC, CHAI_R_BLOCK };
typedef struct {
  const char *name;
  int rank;
  long dim[2], factor[2];
  int mode[2];
} chai_arr;
#define CHAI_ARRAY1(A, n0, m0, f0) static const chai_arr chai_d_##A = {#A, 1, {n0, 1}, {f0, 1}, {m0, 0}};
#define CHAI_ARRAY2(A, n0, m0, f0, n1, m1, f1) \
  static const chai_arr chai_d_##A = {#A, 2, {n0, n1}, {f0, f1}, {m0, m1}};
/* element index of an access, from its address */
#define CHAI_IDX(A, S) ((long)((const char *)&A S - (const char *)(A)) / (long)sizeof(A S))
#define CHAI_R(A, S) (*(chai_cnt_arr(&chai_d_##A, CHAI_IDX(A, S), 1), &A S))
#define CHAI_W(A, S) (*(chai_cnt_arr(&chai_d_##A, CHAI_IDX(A, S), 2), &A S))
#define CHAI_RW(A, S) (*(chai_cnt_arr(&chai_d_##A, CHAI_IDX(A, S), 3), &A S))
#define CHAI_MR(P, S) (*(chai_cnt_maxi(#P, (const void *)&P S, 1), &P S))
#define CHAI_MW(P, S) (*(chai_cnt_maxi(#P, (const void *)&P S, 2), &P S))
#define CHAI_ITER(L) chai_cnt_iter(#L, 1);
#define CHAI_ITER_U(L, i, F) chai_cnt_iter(#L, (i) % (F) == 0);

/* One access of the open iteration: (array or port, bank, word). */
typedef struct {
  const char *key; /* array name, "fm" or "wts" */
  long bank, word; /* m_axi: bank = direction (1 read, 2 write), word = address */
  int maxi;
} chai_acc;

#define CHAI_MAXACC 65536
#define CHAI_MAXLOOP 1024
#define CHAI_MAXKEY 16
typedef struct {
  const char *label;
  long iters;
  int nkey;
  const char *key[CHAI_MAXKEY];
  long max[CHAI_MAXKEY];
} chai_loop;
static chai_acc chai_acc_buf[CHAI_MAXACC];
static long chai_nacc, chai_lost;
static chai_loop chai_loops[CHAI_MAXLOOP];
static int chai_nloop, chai_cur = -1;

static inline int chai_cmp_acc(const void *a, const void *b) {
  const chai_acc *x = a, *y = b;
  int c = strcmp(x->key, y->key);
  if (c) return c;
  if (x->maxi != y->maxi) return x->maxi - y->maxi;
  if (x->bank != y->bank) return x->bank < y->bank ? -1 : 1;
  return x->word < y->word ? -1 : x->word > y->word;
}

/* Raise loop l's figure for key to n (a key is an array name, or
 * "fm.r" / "fm.w" / "wts.r" for an m_axi port and direction). */
static inline void chai_cnt_max(chai_loop *l, const char *key, long n) {
  for (int k = 0; k < l->nkey; k++)
    if (!strcmp(l->key[k], key)) {
      if (n > l->max[k]) l->max[k] = n;
      return;
    }
  if (l->nkey == CHAI_MAXKEY) {
    chai_lost++;
    return;
  }
  l->key[l->nkey] = key;
  l->max[l->nkey++] = n;
}

/* Close the open iteration: distinct words per bank (reads and writes
 * apart) for each on-chip array, distinct addresses per direction (the
 * beats) for each m_axi port, each folded into its loop's maximum. */
static inline void chai_cnt_fold(void) {
  if (chai_cur < 0) return;
  chai_loop *l = &chai_loops[chai_cur];
  l->iters++;
  qsort(chai_acc_buf, (size_t)chai_nacc, sizeof chai_acc_buf[0], chai_cmp_acc);
  for (long i = 0; i < chai_nacc;) {
    const chai_acc *a = &chai_acc_buf[i];
    long j = i + 1, n = 1; /* the run of a's (key, kind, bank): n distinct words */
    for (; j < chai_nacc && chai_acc_buf[j].maxi == a->maxi && chai_acc_buf[j].bank == a->bank &&
           !strcmp(chai_acc_buf[j].key, a->key); j++)
      if (chai_acc_buf[j].word != chai_acc_buf[j - 1].word) n++;
    if (a->maxi)
      chai_cnt_max(l, !strcmp(a->key, "wts") ? (a->bank == 1 ? "wts.r" : "wts.w") : (a->bank == 1 ? "fm.r" : "fm.w"), n);
    else
      chai_cnt_max(l, a->key, n);
    i = j;
  }
  chai_nacc = 0;
  chai_cur = -1;
}

/* Top of a pipelined loop's body: when start, the previous iteration
 * closes and one of loop label opens (a loop with UNROLL factor=F starts
 * one every F C iterations). */
static inline void chai_cnt_iter(const char *label, int start) {
  if (!start && chai_cur >= 0) return;
  chai_cnt_fold();
  int k = 0;
  while (k < chai_nloop && strcmp(chai_loops[k].label, label)) k++;
  if (k == chai_nloop) {
    if (k == CHAI_MAXLOOP) {
      chai_lost++;
      return;
    }
    chai_loops[chai_nloop++].label = label;
  }
  chai_cur = k;
}

static inline void chai_cnt_push(const char *key, long bank, long word, int maxi) {
  if (chai_cur < 0) {
    chai_lost++; /* an access outside every pipelined loop */
    return;
  }
  if (chai_nacc == CHAI_MAXACC) {
    chai_lost++;
    return;
  }
  chai_acc_buf[chai_nacc++] = (chai_acc){key, bank, word, maxi};
}

/* An on-chip array access (rw: 1 read, 2 write, 3 both): its bank and word
 * from the array's partitioning, as tests/hls_ii.py's Array.place. */
static inline void chai_cnt_arr(const chai_arr *a, long flat, int rw) {
  long idx[2], bank = 0, word = 0;
  int regs = 1;
  idx[1] = a->rank == 2 ? flat % a->dim[1] : 0;
  idx[0] = a->rank == 2 ? flat / a->dim[1] : flat;
  for (int d = 0; d < a->rank; d++) {
    const long v = idx[d], n = a->dim[d], f = a->factor[d], bs = f > 0 ? (n + f - 1) / f : n;
    if (a->mode[d] != CHAI_COMPLETE) regs = 0;
    switch (a->mode[d]) {
    case CHAI_NONE: word = word * n + v; break;
    case CHAI_COMPLETE: bank = bank * n + v; break;
    case CHAI_CYCLIC: bank = bank * f + v % f, word = word * ((n + f - 1) / f) + v / f; break;
    case CHAI_BLOCK: bank = bank * f + v / bs, word = word * bs + v % bs; break;
    case CHAI_R_COMPLETE: break;
    case CHAI_R_CYCLIC: word = word * ((n + f - 1) / f) + v / f; break;
    default: word = word * bs + v % bs; break;
    }
  }
  if (regs) return; /* registers: no port limit, not counted */
  if (rw & 1) chai_cnt_push(a->name, bank, 2 * word, 0);
  if (rw & 2) chai_cnt_push(a->name, bank, 2 * word + 1, 0);
}

/* An m_axi access through pointer expression ptr (rw: 1 read, 2 write):
 * `wts` is its own port, every other pointer the feature-map port. */
static inline void chai_cnt_maxi(const char *ptr, const void *addr, int rw) {
  chai_cnt_push(strstr(ptr, "wts") ? "wts" : "fm", rw, (long)(uintptr_t)addr, 1);
}

/* The per-loop table on out: one line per pipelined loop that ran,
 * "loop LABEL iters N ii II" (II the port bound: on-chip words per bank
 * over 2, m_axi beats), then "count LABEL KEY N" per array or port. */
void chai_hls_count_report(FILE *out) {
  chai_cnt_fold();
  for (int k = 0; k < chai_nloop; k++) {
    const chai_loop *l = &chai_loops[k];
    long ii = 1;
    for (int j = 0; j < l->nkey; j++) {
      long v = strchr(l->key[j], '.') ? l->max[j] : (l->max[j] + 1) / 2;
      if (v > ii) ii = v;
    }
    fprintf(out, "loop %s iters %ld ii %ld\n", l->label, l->iters, ii);
    for (int j = 0; j < l->nkey; j++) fprintf(out, "count %s %s %ld\n", l->label, l->key[j], l->max[j]);
  }
  fprintf(out, "lost %ld\n", chai_lost);
}
#endif

#endif
