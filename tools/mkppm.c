/* mkppm.c - chaicc-mkppm R,G,B OUT.ppm [SIZE]: draws a SIZE x SIZE (48)
 * binary PPM of one colour with deterministic +-20 noise, for the bundled
 * example and tests (so the repository ships no image files). */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  int r, g, b, n = 48;
  if (argc < 3 || sscanf(argv[1], "%d,%d,%d", &r, &g, &b) != 3 ||
      (argc > 3 && (n = atoi(argv[3])) <= 0) || n > 4096) {
    fprintf(stderr, "usage: chaicc-mkppm R,G,B OUT.ppm [SIZE]\n");
    return 2;
  }
  FILE *f = fopen(argv[2], "wb");
  if (!f) {
    perror(argv[2]);
    return 1;
  }
  fprintf(f, "P6\n%d %d\n255\n", n, n);
  unsigned s = 12345;
  for (int i = 0; i < n * n; i++) {
    s = s * 1103515245u + 12345u;
    int noise = (int)((s >> 16) % 41) - 20;
    int c[3] = {r + noise, g + noise, b + noise};
    for (int k = 0; k < 3; k++) fputc(c[k] < 0 ? 0 : c[k] > 255 ? 255 : c[k], f);
  }
  return fclose(f) ? 1 : 0;
}
