/* calib_auto.h - `--calibration_method auto`: Xilinx output thresholds
 * chosen by the error they give at the net's outputs, measured with the
 * fixed-point simulator against the float net on the calibration set.
 * docs/quantization.md ("auto: chosen by measured error") states the rule
 * and the measurements behind it.
 *
 * The measurement is the one the `quantize --report` table "Net outputs
 * against float" prints (cba_measure): the CHai prototxt as written, read
 * back and run by qsim, against the float net's outputs.
 *
 * Determinism: every simulation runs the images in order on one thread,
 * candidates and tensors are tried in a fixed order and a change is kept
 * only when the error drops strictly, so the thresholds depend on the
 * inputs only (not on --threads).
 */
#ifndef CHAI_CALIB_AUTO_H
#define CHAI_CALIB_AUTO_H

#include "calib.h"
#include "fidelity.h"

/* The float net's outputs on every calibration item (computed once). */
typedef struct CbaRef {
  int nimg, nout;
  float **out;     /* [img * nout + o], malloc'ed */
  int64_t *count;  /* [img * nout + o] element counts */
} CbaRef;

/* Runs the float net n (single input, batch 1) on img[0..nimg) and keeps
 * its outputs.  0, or -1 when it cannot run (nothing reported). */
int cba_ref_init(CbaRef *r, Net *n, float *const *img, int nimg);
void cba_ref_free(CbaRef *r);

/* Fidelity of each output of the CHai prototxt `path` (weights from
 * `weights`), read back and run by the fixed-point simulator on
 * img[0..nimg), against the float outputs ref.  Returns the per-output
 * sums (malloc'ed, *nout outputs; *qnet the loaded net when qnet is not
 * NULL), or NULL when the net cannot run. */
FdOut *cba_measure(const char *path, const char *weights, const CbaRef *ref,
                   float *const *img, Net **qnet, int *nout);

/* The error auto minimises: the mean over the net outputs of each one's
 * error, noise/signal power sum (ref - x)^2 / sum ref^2 for tensors (0
 * when both are zero, 1 when only the reference is), and 1 - (recall +
 * precision) / 2 for detection tables.  Every output counts the same
 * whatever its scale or kind. */
double cba_error(const FdOut *fo, int nout);

/* What auto chose (for the stderr line and the report). */
typedef struct CbaResult {
  CbMethod net_method;       /* the best method for the whole net */
  double err_method[4];      /* its error per CbMethod (CB_ENTROPY..CB_MSE);
                                < 0 when not measured */
  double err;                /* the error of the final thresholds */
  signed char *blob_method;  /* per blob id: the method of its threshold
                                (-1: net_method); malloc'ed */
  int nchanged, ntried, nsim;
} CbaResult;

/* Chooses the Xilinx thresholds of n for p (method CB_AUTO) and leaves
 * them assigned (cb_assign with the chosen method and per-blob choices):
 * each candidate method for the whole net, then per tensor (coordinate
 * descent over the tensors whose candidate thresholds differ most, at
 * most `sims` more simulations).  tmp: a writable file name for the
 * candidate prototxts.  0, or -1 after reporting. */
int cba_choose(Net *n, const CbStats *st, CbParams *p, const char *weights,
               const CbaRef *ref, float *const *img, const char *tmp, int sims,
               CbaResult *res);

const char *cba_method_name(CbMethod m);

/* The default per-tensor budget (`--auto_sims auto`): CBA_SIMS
 * simulations, fewer when the net is large, so that the per-tensor
 * simulations run at most CBA_MACS multiply-accumulates in all:
 * min(CBA_SIMS, floor(CBA_MACS / (MACs of one pass * nimg))).  A count,
 * not a time, so the result is the same on any machine. */
#define CBA_SIMS 12
#define CBA_MACS 200000000.0
int cba_default_sims(const Net *n, int nimg);

#endif
