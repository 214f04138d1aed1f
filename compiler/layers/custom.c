/* custom.c - plugin layers declared under custom_layers in the YAML config:
 * one bottom, one top, no learned blobs; the top's shape follows the
 * declared rule ("same" or "scale_hw:K").  The layer's parameter blocks,
 * known (`foo_param { ... }` of our caffe.proto) or not (kept whole by the
 * loader's lenient parse), are collected as text for the plugin. */
#include <string.h>

#include "../emit_kind.h"
#include "../emit_util.h"
#include "../ir.h"
#include "../strbuf.h"
#include "../textfmt.h"
#include "caffe.pb-c.h"

/* The parameter blocks of plugin layer l in protobuf text format, one per
 * line group: every message field of its LayerParameter named *_param that
 * is set, then every unknown field as written.  "" when there is none. */
static const char *plugin_param_text(const Layer *l, Net *n) {
  Sb b = {0};
  const ProtobufCMessage *m = &l->lp->base;
  const ProtobufCMessageDescriptor *d = m->descriptor;
  for (unsigned i = 0; i < d->n_fields; i++) {
    const ProtobufCFieldDescriptor *f = &d->fields[i];
    size_t k = strlen(f->name);
    if (f->type != PROTOBUF_C_TYPE_MESSAGE || f->label == PROTOBUF_C_LABEL_REPEATED ||
        k < 6 || strcmp(f->name + k - 6, "_param") != 0)
      continue;
    const ProtobufCMessage *sub = *(ProtobufCMessage *const *)((const char *)m + f->offset);
    if (!sub) continue;
    sb_printf(&b, "%s {\n%s}\n", f->name, tf_write_string(sub, n->ar));
  }
  for (const TfUnknown *u = tf_unknown(n->locs); u; u = u->next)
    if (u->m == m) sb_printf(&b, "%s %s\n", u->name, u->text);
  return b.n ? eu_keep(n->ar, &b) : "";
}

int lk_custom_setup(Layer *l, Net *n) {
  const IrCustomType *ct = NULL;
  for (int i = 0; i < n->ncustom && !ct; i++)
    if (strcmp(n->custom[i].type, l->type) == 0) ct = &n->custom[i];
  if (!ct) {
    ir_error(n, l, "plugin layer type is not declared under custom_layers in the config");
    return -1;
  }
  if (l->nbottom != 1 || l->ntop != 1) {
    ir_error(n, l, "a plugin layer takes 1 bottom and 1 top, got %d and %d", l->nbottom,
             l->ntop);
    return -1;
  }
  l->custom = ct;
  l->p.custom.layer = l->name;
  l->p.custom.fn = ct->fn;
  l->p.custom.scale_hw = ct->scale_hw;
  l->p.custom.call = NULL;
  l->p.custom.param = plugin_param_text(l, n);
  ir_declare_weights(l, n, 0, NULL);
  return 0;
}

int lk_custom_shape(Layer *l, Net *n) {
  const rt_shape *in = &l->bottom[0]->shape;
  int k = l->p.custom.scale_hw;
  if (k == 0) {
    l->top[0]->shape = *in;
    return 0;
  }
  if (in->nd != 4) {
    ir_error(n, l, "shape rule scale_hw:%d needs a 4-D NCHW bottom, got %d axes", k, in->nd);
    return -1;
  }
  int64_t d[4] = {in->d[0], in->d[1], (int64_t)in->d[2] * k, (int64_t)in->d[3] * k};
  return ir_set_shape(n, l, &l->top[0]->shape, 4, d);
}

/* ---- float C emitter (emit_kind.h) ---- */

/* c/custom: a call to the plugin function (docs/config.md) with 4-D
 * shapes; the plugin's source is copied into the project. */
static const char *custom_emit_c(EcLayer *c, const Layer *l) {
  const IrCustomType *ct = l->custom;
  const rt_shape *in = &l->bottom[0]->shape, *out = &l->top[0]->shape;
  ec_str(c, "plugin_fn", l->p.custom.fn);
  ec_comment(c, "source", ct && ct->source ? ct->source : "");
  int64_t is[4], os[4];
  for (int k = 0; k < 4; k++) is[k] = rt_shape_dim4(in, k), os[k] = rt_shape_dim4(out, k);
  ec_ints(c, "in_shape", is, 4), ec_ints(c, "out_shape", os, 4);
  if (ct && ct->params) ec_str(c, "plugin_param", eu_c_string(ec_arena(c), l->p.custom.param));
  ec_plugin(c, ct);
  return "c/custom";
}

const LayerOps lk_custom_ops = {
    .setup = lk_custom_setup,
    .shape = lk_custom_shape,
    .emit_c = custom_emit_c,
};
