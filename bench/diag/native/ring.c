/*
 * A C model of sabkit's channel ring (src/_ring.ts) without any JavaScript:
 * per-slot sequence words, compare-and-swap claims on the head and the tail,
 * 16-float64 messages in 1,024 slots of 256 bytes, both sides spinning.
 * It separates what the hardware does from what the engines add.
 *
 *   gcc -O2 -pthread bench/diag/native/ring.c -o /tmp/ring
 *   /tmp/ring 12 lockstep   # each side takes the next slot the moment it can
 *   /tmp/ring 12 paced      # every 16th message, the consumer waits until
 *                           # it is 64 messages behind
 *
 * Prints millions of messages per second for each batch of 100,000. On the
 * 2-core VMs this project runs on: lockstep 4–15 M/s, from batch to batch and
 * run to run; paced 20–28 M/s. The same pacing in JavaScript (a consumer
 * that never waits checks every 16th claim) did not pay: A/B in one process,
 * it was 0–8 % slower on Node and Deno and 23–33 % slower on Bun, whose
 * producer (≈ 140 ns per message, against ≈ 40 ns here) is what limits the
 * rate; sabkit only looks ahead after a failed claim.
 */
#include <immintrin.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SLOTS 1024
#define STRIDE 64 /* int32 words per slot: a header line, 128 bytes of data, a spare line */
#define DATA 16   /* where the data starts in a slot (words) */
#define GAP 64
#define BATCH 100000L

static int32_t *mem, *head, *tail, *send_waiters, *recv_waiters;
static long total;
static int paced;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static int32_t *slot(long pos) { return mem + 256 + (pos % SLOTS) * STRIDE; }

static int32_t load(int32_t *p) { return __atomic_load_n(p, __ATOMIC_SEQ_CST); }

static void claim(int32_t *word, long pos, int32_t ready) {
  for (;;) {
    if (load(slot(pos)) == ready) {
      int32_t expected = (int32_t)pos;
      if (__atomic_compare_exchange_n(word, &expected, (int32_t)(pos + 1), 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
        return;
      }
    }
    _mm_pause();
  }
}

static void *consumer(void *arg) {
  (void)arg;
  double message[16];
  for (long t = 0; t < total; t++) {
    if (paced && (t & 15) == 0 && t + GAP < total) {
      while (load(slot(t + GAP)) != (int32_t)(2 * (t + GAP) + 1)) {
        for (int k = 0; k < 16; k++) _mm_pause();
      }
    }
    claim(tail, t, (int32_t)(2 * t + 1));
    int32_t *s = slot(t);
    s[3] = 2; /* the receiver's agent, as sabkit records it */
    memcpy(message, s + DATA, sizeof message);
    if (message[0] != (double)t) {
      fprintf(stderr, "message %ld arrived as %g\n", t, message[0]);
      exit(1);
    }
    s[2] = 0;
    s[3] = 0;
    __atomic_store_n(s, (int32_t)(2 * (t + SLOTS)), __ATOMIC_SEQ_CST);
    if (load(send_waiters) != 0) abort(); /* nobody parks here; sabkit reads this word after every release */
  }
  return NULL;
}

int main(int argc, char **argv) {
  int batches = argc > 1 ? atoi(argv[1]) : 12;
  paced = argc > 2 && strcmp(argv[2], "paced") == 0;
  total = BATCH * batches;
  size_t bytes = (256 + (size_t)SLOTS * STRIDE) * 4;
  /* Like a SharedArrayBuffer: 16-byte aligned, not line-aligned. */
  mem = (int32_t *)((char *)aligned_alloc(4096, bytes + 4096) + 16);
  memset(mem, 0, bytes);
  head = mem + 32;
  tail = mem + 64;
  send_waiters = mem + 96;
  recv_waiters = mem + 128;
  for (long s = 0; s < SLOTS; s++) *slot(s) = (int32_t)(2 * s);
  pthread_t thread;
  pthread_create(&thread, NULL, consumer, NULL);
  double message[16] = {0};
  long h = 0;
  for (int b = 0; b < batches; b++) {
    double t0 = now();
    for (long i = 0; i < BATCH; i++, h++) {
      claim(head, h, (int32_t)(2 * h));
      int32_t *s = slot(h);
      s[2] = 1; /* the sender's agent */
      message[0] = (double)h;
      memcpy(s + DATA, message, sizeof message);
      s[1] = 16;
      __atomic_store_n(s, (int32_t)(2 * h + 1), __ATOMIC_SEQ_CST);
      if (load(recv_waiters) != 0) abort();
    }
    printf("%.1f ", BATCH / (now() - t0) / 1e6);
    fflush(stdout);
  }
  pthread_join(thread, NULL);
  printf("M messages/s (%s)\n", paced ? "paced" : "lockstep");
  return 0;
}
