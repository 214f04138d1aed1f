/* calib_bc.h - bias correction (issue 14 item 3; Nagel et al. 2019,
 * "Data-Free Quantization Through Weight Equalization and Bias
 * Correction", section 4.2, with the input means measured on the
 * calibration items instead of derived from BatchNorm statistics).
 *
 * Quantizing a Convolution's weights (after the BatchNorm/Scale folding of
 * the fixed-point contract, Xilinx thresholds) shifts the expected value
 * of each output channel by E[(W_q - W) x].  cbc_correct measures it with
 * the float net on the calibration items (x = the layer's float input) and
 * subtracts it from the float bias the fixed-point layer will add, so the
 * quantized net's output mean matches float.  It only changes float
 * weights in memory; cm_write_weights then writes them as a caffemodel
 * that every tool reads in place of the original. */
#ifndef CHAI_CALIB_BC_H
#define CHAI_CALIB_BC_H

#include "calib.h"
#include "ir.h"

/* Corrects the biases of every live Convolution of n (depthwise too) for
 * Xilinx weight thresholds p->wmethod at p->bw_params bits, over the
 * calibration items img[0..nimg).  The correction goes where the folded
 * bias (b - mean) k + beta takes it: the convolution's own bias, else the
 * BatchNorm mean right after it, else the bias of a Scale right after it;
 * a layer with none of these is left as it is.  *ncorr gets the number of
 * layers corrected.  0 on success, -1 when the float net does not run. */
int cbc_correct(Net *n, float *const *img, int nimg, const CbParams *p, int *ncorr);

/* Cross-layer equalization (calib_cle.c; Nagel et al. 2019, section 4.1):
 * for every Convolution a followed, through BatchNorm / Scale / ReLU only,
 * by a Convolution b that alone reads that tensor, output channel c of a
 * is divided by s = sqrt(r1 / r2) and b's weights reading channel c are
 * multiplied by s (r1: max |w| of a's channel after folding, r2: max |w|
 * of b's weights on that input), so both ranges become sqrt(r1 r2).  The
 * division goes to the chain's Scale (gamma and beta), or to a's weights
 * and bias when there is no BatchNorm/Scale; a chain with a BatchNorm but
 * no Scale is skipped.  ReLU of any slope commutes with a positive scale;
 * other activations end the chain.  In float, in place, one pass in layer
 * order; *npairs gets the pairs equalized.  0. */
int cle_equalize(Net *n, int *npairs);

/* Writes the loaded weights of every layer of n as a binary caffemodel
 * (NetParameter.layer: name, type, blobs with shape and float data),
 * through a temporary file renamed on success.  0, or -1 with an error on
 * dg located at path. */
int cm_write_weights(const Net *n, const char *path, Diag *dg);

#endif
