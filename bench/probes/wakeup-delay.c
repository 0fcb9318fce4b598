/*
 * Wake-up delay probe for the B2 latency runs (bench/wakeup-delay.ts builds it and starts one per CPU).
 *
 * Sleeps 1 ms at a time until SIGTERM and measures how late each sleep ends. A process that does
 * nothing but sleep needs the CPU for microseconds, so any lateness beyond that is time the machine
 * made a woken task wait: the same wait every server process meets each time a request or reply
 * wakes it. Written in C because a probe in an interpreter costs enough per wake-up to disturb the
 * runs it watches (a Python one raised the direct path's p99 from about 25 ms to 60-210 ms).
 * Prints one JSON line: counts, shares and lateness percentiles in milliseconds, and `full` when it
 * stopped recording because its buffer (about 70 minutes of sleeps) was full.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <time.h>

#define MAX_WAKEUPS (1 << 22)

static volatile sig_atomic_t stopped = 0;

static void stop(int signal_number) {
  (void)signal_number;
  stopped = 1;
}

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int by_value(const void *a, const void *b) {
  float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}

int main(void) {
  static float lates[MAX_WAKEUPS];
  // Ends with the benchmark even if the benchmark dies without stopping it: a forgotten probe would
  // wake a thousand times a second until its buffer filled, disturbing whatever runs next.
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  struct sigaction action = {0};
  action.sa_handler = stop;
  sigaction(SIGTERM, &action, NULL);
  const struct timespec period = {0, 1000000};
  long count = 0;
  while (!stopped && count < MAX_WAKEUPS) {
    double before = now_ms();
    // A sleep cut short (by SIGTERM) says nothing about lateness.
    if (nanosleep(&period, NULL) != 0) continue;
    lates[count++] = (float)(now_ms() - before - 1.0);
  }
  long late1 = 0, late2 = 0;
  for (long i = 0; i < count; i++) {
    if (lates[i] >= 1.0f) late1++;
    if (lates[i] >= 2.0f) late2++;
  }
  qsort(lates, count, sizeof(float), by_value);
  // Nearest rank: the smallest lateness that at least 99 % of the sleeps do not exceed.
  long rank = (long)((99 * count + 99) / 100) - 1;
  double p99 = count > 0 ? lates[rank < 0 ? 0 : rank] : 0;
  double max = count > 0 ? lates[count - 1] : 0;
  printf("{\"wakeups\":%ld,\"shareLate1ms\":%.6f,\"shareLate2ms\":%.6f,\"p99LateMs\":%.3f,\"maxLateMs\":%.3f,\"full\":%s}\n",
         count, count ? (double)late1 / count : 0.0, count ? (double)late2 / count : 0.0, p99, max,
         count == MAX_WAKEUPS ? "true" : "false");
  return 0;
}
