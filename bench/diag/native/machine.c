/*
 * The machine's own steadiness: one thread, nothing shared, 128-byte copies
 * into a 256 kB ring (the control loop of bench/_control.ts, in C). Prints
 * millions of copies per second for every 2 million, then the least, the
 * most and their ratio.
 *
 *   gcc -O2 bench/diag/native/machine.c -o /tmp/machine && /tmp/machine 15
 *
 * On the 2-core VMs this project runs on, the rate holds for seconds, then
 * drops by up to a third for seconds (other tenants of the host), then
 * comes back: no code of ours runs, so no channel can be steadier than this.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 10;
  double *ring = aligned_alloc(64, 2048 * 16 * sizeof(double));
  double message[16] = {0};
  double least = 1e300, most = 0, start = now();
  for (int k = 0; now() - start < seconds; k++) {
    double t0 = now();
    for (int i = 0; i < 2000000; i++) {
      message[0] = i;
      int at = (i & 2047) * 16;
      memcpy(&ring[at], message, sizeof message);
      __asm__ volatile("" ::: "memory");
      ring[at + 15] = i;
    }
    double rate = 2 / (now() - t0);
    printf("%.0f ", rate);
    fflush(stdout);
    if (k >= 3) { /* warm-up */
      if (rate < least) least = rate;
      if (rate > most) most = rate;
    }
  }
  printf("\nM copies/s: least %.0f, most %.0f, most/least %.2f\n", least, most, most / least);
  return 0;
}
