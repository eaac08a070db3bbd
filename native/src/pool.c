/*
 * A persistent pool of helper threads for large products. `rnnkit_pool_run(count, task)`
 * runs task 0 on the calling thread and task i on helper i − 1 (count ≤ the pool's
 * threads), and returns when all are done. Tasks write disjoint parts of C, each computed
 * as in one call (gemm.c), so the result does not depend on the thread count.
 *
 * Hand-off: each helper has its own ticket; the caller sets the job, then bumps the tickets
 * of the helpers it needs, and waits for each to report that ticket finished. A helper
 * acts only on a new ticket and the caller touches the job only when every ticket it handed
 * out is finished, so no helper ever sees a job half set. Helpers spin briefly for the next
 * ticket (products come in quick succession during training), then sleep.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include "rnnkit.h"

#define MAX_HELPERS 255
#define SPIN_ROUNDS 20000

typedef struct {
  pthread_t thread;
  atomic_uint ticket;   /* bumped by the caller: run task index + 1 */
  atomic_uint finished; /* set by the helper: the ticket it completed */
  atomic_int stop;
} Helper;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static Helper helpers[MAX_HELPERS];
static int helper_count = 0;

static PoolTask job_task;
static void *job_ctx;
/* One job, or one resize, at a time: callers on other threads (Node worker threads that use the addon) wait. */
static pthread_mutex_t run_lock = PTHREAD_MUTEX_INITIALIZER;

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

static void *helper_main(void *arg) {
  Helper *self = arg;
  const int index = (int)(self - helpers);
  unsigned seen = 0; /* the ticket it was created with: a job may be handed over before this line runs */
  for (;;) {
    int spins = 0;
    while (atomic_load(&self->ticket) == seen && !atomic_load(&self->stop)) {
      if (++spins < SPIN_ROUNDS) {
        cpu_relax();
        continue;
      }
      pthread_mutex_lock(&lock);
      while (atomic_load(&self->ticket) == seen && !atomic_load(&self->stop)) pthread_cond_wait(&wake, &lock);
      pthread_mutex_unlock(&lock);
    }
    if (atomic_load(&self->stop)) return NULL;
    seen = atomic_load(&self->ticket);
    job_task(index + 1, job_ctx);
    atomic_store(&self->finished, seen);
  }
}

int rnnkit_pool_threads(void) {
  return helper_count + 1;
}

int rnnkit_pool_set_threads(int n) {
  pthread_mutex_lock(&run_lock);
  int want = n < 1 ? 0 : n - 1;
  if (want > MAX_HELPERS) want = MAX_HELPERS;
  if (want < helper_count) {
    pthread_mutex_lock(&lock);
    for (int i = want; i < helper_count; i++) atomic_store(&helpers[i].stop, 1);
    pthread_cond_broadcast(&wake);
    pthread_mutex_unlock(&lock);
    for (int i = want; i < helper_count; i++) pthread_join(helpers[i].thread, NULL);
    helper_count = want;
  }
  while (helper_count < want) {
    Helper *h = &helpers[helper_count];
    atomic_store(&h->stop, 0);
    atomic_store(&h->ticket, 0);
    atomic_store(&h->finished, 0);
    if (pthread_create(&h->thread, NULL, helper_main, h) != 0) break;
    helper_count++;
  }
  const int threads = helper_count + 1;
  pthread_mutex_unlock(&run_lock);
  return threads;
}

void rnnkit_pool_run(int count, PoolTask task, void *ctx) {
  pthread_mutex_lock(&run_lock);
  if (count > helper_count + 1) count = helper_count + 1;
  if (count <= 1) {
    if (count == 1) task(0, ctx);
    pthread_mutex_unlock(&run_lock);
    return;
  }
  job_task = task;
  job_ctx = ctx;
  unsigned tickets[MAX_HELPERS];
  pthread_mutex_lock(&lock);
  for (int i = 0; i < count - 1; i++) tickets[i] = atomic_fetch_add(&helpers[i].ticket, 1) + 1;
  pthread_cond_broadcast(&wake);
  pthread_mutex_unlock(&lock);
  task(0, ctx);
  for (int i = 0; i < count - 1; i++) {
    while (atomic_load(&helpers[i].finished) != tickets[i]) cpu_relax();
  }
  pthread_mutex_unlock(&run_lock);
}
