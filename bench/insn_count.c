/* insn_count.c - a QEMU TCG plugin (qemu-user 7.2, plugin API version 1)
 * that counts the guest instructions a program executes, for
 * bench/arm_insns.sh.  Not part of chaicc: built by that script with the
 * host compiler as a shared object and loaded with
 *   qemu-aarch64 -plugin ./insn_count.so,out=FILE[,mark=N] PROGRAM ...
 *
 * Each translated block gets an inline "add n" (n = its instruction
 * count) on one 64-bit counter, so counting costs one add per executed
 * block.  At exit FILE gets "insns TOTAL"; with mark=N it also gets
 * "mark COUNT" each time the guest enters system call N (the count of
 * the blocks begun so far: a block ends at its system call), which the
 * script uses to split the count between the generated program's
 * clock_gettime calls around each layer.  The count is exact for a
 * single-threaded guest (inline adds are not atomic).
 *
 * No qemu-plugin.h is installed here, so the few types and functions
 * used are declared below from the documented API (QEMU 7.2, "QEMU TCG
 * Plugins", docs/devel/tcg-plugins.rst, https://qemu.weilnetz.de/doc/7.2/
 * devel/tcg-plugins.html, and the API reference it includes from
 * include/qemu/qemu-plugin.h): the plugin exports qemu_plugin_version =
 * QEMU_PLUGIN_VERSION (1 in 7.2) and qemu_plugin_install; QEMU resolves
 * the qemu_plugin_* calls when it loads the object. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- The declarations of the plugin API (QEMU 7.2) ---- */
#define QEMU_PLUGIN_VERSION 1
#define QEMU_PLUGIN_EXPORT __attribute__((visibility("default")))

typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t {
  const char *target_name;
  struct {
    int min, cur;
  } version;
  bool system_emulation;
  union {
    struct {
      int smp_vcpus, max_vcpus;
    } system;
  };
} qemu_info_t;
struct qemu_plugin_tb;
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
typedef void (*qemu_plugin_vcpu_syscall_cb_t)(qemu_plugin_id_t id, unsigned int vcpu_index,
                                              int64_t num, uint64_t a1, uint64_t a2,
                                              uint64_t a3, uint64_t a4, uint64_t a5,
                                              uint64_t a6, uint64_t a7, uint64_t a8);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, enum qemu_plugin_op op,
                                              void *ptr, uint64_t imm);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
void qemu_plugin_register_vcpu_syscall_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_syscall_cb_t cb);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb,
                                    void *userdata);
void qemu_plugin_outs(const char *string);

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;
QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                           int argc, char **argv);

/* ---- The counter ---- */
static uint64_t insns;     /* instructions of the blocks begun so far */
static int64_t mark_nr = -1; /* system call whose entries are marked */
static uint64_t *marks;    /* the counter at each marked entry */
static size_t nmarks, capmarks;
static char out_path[4096];

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
  (void)id;
  qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &insns,
                                           qemu_plugin_tb_n_insns(tb));
}

static void on_syscall(qemu_plugin_id_t id, unsigned int vcpu, int64_t num, uint64_t a1,
                       uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5, uint64_t a6,
                       uint64_t a7, uint64_t a8) {
  (void)id, (void)vcpu, (void)a1, (void)a2, (void)a3, (void)a4, (void)a5, (void)a6, (void)a7,
      (void)a8;
  if (num != mark_nr) return;
  if (nmarks == capmarks) {
    size_t cap = capmarks ? 2 * capmarks : 4096;
    uint64_t *m = realloc(marks, cap * sizeof *m);
    if (!m) return; /* the marks stop; the total stays right */
    marks = m, capmarks = cap;
  }
  marks[nmarks++] = insns;
}

/* Writes the total (and the marks) to out_path, or to QEMU's log. */
static void at_exit(qemu_plugin_id_t id, void *udata) {
  (void)id, (void)udata;
  FILE *f = out_path[0] ? fopen(out_path, "w") : NULL;
  if (!f) {
    char s[64];
    snprintf(s, sizeof s, "insns %llu\n", (unsigned long long)insns);
    qemu_plugin_outs(s);
    return;
  }
  fprintf(f, "insns %llu\n", (unsigned long long)insns);
  for (size_t i = 0; i < nmarks; i++) fprintf(f, "mark %llu\n", (unsigned long long)marks[i]);
  fclose(f);
}

/* Arguments: out=FILE (else the total goes to QEMU's log), mark=N. */
QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                           int argc, char **argv) {
  if (info->version.min > QEMU_PLUGIN_VERSION) {
    fprintf(stderr, "insn_count: QEMU needs plugin API %d, this is %d\n", info->version.min,
            QEMU_PLUGIN_VERSION);
    return -1;
  }
  for (int i = 0; i < argc; i++) {
    if (!strncmp(argv[i], "out=", 4))
      snprintf(out_path, sizeof out_path, "%s", argv[i] + 4);
    else if (!strncmp(argv[i], "mark=", 5))
      mark_nr = strtoll(argv[i] + 5, NULL, 10);
    else {
      fprintf(stderr, "insn_count: unknown argument '%s' (out=FILE, mark=N)\n", argv[i]);
      return -1;
    }
  }
  qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
  if (mark_nr >= 0) qemu_plugin_register_vcpu_syscall_cb(id, on_syscall);
  qemu_plugin_register_atexit_cb(id, at_exit, NULL);
  return 0;
}
