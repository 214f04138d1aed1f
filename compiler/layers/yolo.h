/* yolo.h - what the YOLO detection heads share (yolov3det.c, yolodet.c). */
#ifndef CHAI_LAYERS_YOLO_H
#define CHAI_LAYERS_YOLO_H

#include <stdint.h>

#include "../ir.h"

/* Checks num_classes nc (1..100000) and num_box nbox (1..RT_MAXLIST) of
 * head layer l, reporting at those fields of its parameter message dp.
 * Returns 0, or -1 after reporting. */
int lk_yolo_check_counts(Layer *l, Net *n, const void *dp, uint32_t nc, uint32_t nbox);

/* Checks that every bottom of head layer l is N x num_box*(5+num_classes)
 * x H x W with one N, and shapes top 0 as 1 x 1 x rows x 7 for the worst
 * case rows = N * sum(H*W) * num_box * per_box (at least N, for the "no
 * detection" rows) into *max_rows; the kernel sets the real count.
 * Returns 0, or -1 after reporting at the layer. */
int lk_yolo_heads_shape(Layer *l, Net *n, int num_box, int num_classes, int per_box,
                        int *max_rows);

#endif
