// Why scpl-swift caches host memory itself instead of tuning glibc (docs/performance.md, "Host
// memory"). libtorch allocates every CPU tensor with posix_memalign(64). Allocating, touching
// and freeing the same 20 MB block six times should fault its pages in once and then reuse it;
// this prints each round's page faults and the heap glibc holds, with glibc's defaults and with
// its mmap and trim thresholds raised (what GLIBC_TUNABLES or mallopt would do to stop the
// per-step page faults), so you can see whether it does.
//
//   gcc -O2 bench/glibc_memalign_reuse.c -o /tmp/memalign && /tmp/memalign && /tmp/memalign tuned
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

static long minor_faults(void) {
  struct rusage r;
  getrusage(RUSAGE_SELF, &r);
  return r.ru_minflt;
}

int main(int argc, char **argv) {
  const size_t bytes = 20 * 1000 * 1000;
  int tuned = argc > 1;
  if (tuned) {
    mallopt(M_ARENA_MAX, 1);
    mallopt(M_MMAP_THRESHOLD, 2147483647);
    mallopt(M_TRIM_THRESHOLD, 2147483647);
  }
  printf("%s: round, page faults, heap bytes from the system\n", tuned ? "thresholds raised" : "glibc defaults");
  for (int round = 1; round <= 6; round++) {
    long before = minor_faults();
    void *p = NULL;
    if (posix_memalign(&p, 64, bytes) != 0) return 1;
    for (size_t i = 0; i < bytes; i += 4096) ((volatile char *)p)[i] = 1;  // touch every page
    free(p);
    struct mallinfo2 info = mallinfo2();
    printf("%d %ld %zu\n", round, minor_faults() - before, info.arena);
  }
  return 0;
}
