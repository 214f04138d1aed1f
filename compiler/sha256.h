/* sha256.h - SHA-256 (FIPS 180-4) for provenance headers. */
#ifndef CHAI_SHA256_H
#define CHAI_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct ShaCtx {
  uint32_t h[8];
  uint64_t len;    /* bytes hashed so far */
  uint8_t buf[64];
  size_t nbuf;
} ShaCtx;

void sha_init(ShaCtx *c);
void sha_update(ShaCtx *c, const void *data, size_t n);
void sha_final(ShaCtx *c, uint8_t out[32]);
/* Hex digest (65 bytes with the NUL) of a buffer. */
void sha_hex(const void *data, size_t n, char out[65]);
/* Hex digest of a file's contents; 0 on success, -1 if it cannot be read. */
int sha_file_hex(const char *path, char out[65]);

#endif
