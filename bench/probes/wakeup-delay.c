/*
 * Wake-up delay probe for the B2 latency runs (bench/wakeup-delay.ts builds it and starts one per CPU).
 *
 * Sleeps 1 ms at a time until SIGTERM and measures how late each sleep ends. A process that does
 * nothing but sleep needs the CPU for microseconds, so any lateness beyond that is time the machine
 * made a woken task wait: the same wait every server process meets each time a request or reply
 * wakes it. Written in C because a probe in an interpreter costs enough per wake-up to disturb the
 * runs it watches (a Python one raised the direct path's p99 from about 25 ms to 60-210 ms).
 * Prints one JSON line: counts, shares and lateness percentiles in milliseconds.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
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
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(void) {
  static float lates[MAX_WAKEUPS];
  struct sigaction action = {0};
  action.sa_handler = stop;
  sigaction(SIGTERM, &action, NULL);
  const struct timespec period = {0, 1000000};
  long count = 0;
  while (!stopped && count < MAX_WAKEUPS) {
    double before = now_ms();
    nanosleep(&period, NULL);
    lates[count++] = (float)(now_ms() - before - 1.0);
  }
  double *sorted = malloc(sizeof(double) * (count > 0 ? count : 1));
  long late1 = 0, late2 = 0;
  for (long i = 0; i < count; i++) {
    sorted[i] = lates[i];
    if (lates[i] >= 1.0) late1++;
    if (lates[i] >= 2.0) late2++;
  }
  qsort(sorted, count, sizeof(double), by_value);
  double p99 = count > 0 ? sorted[(long)(count * 0.99) < count ? (long)(count * 0.99) : count - 1] : 0;
  double max = count > 0 ? sorted[count - 1] : 0;
  printf("{\"wakeups\":%ld,\"shareLate1ms\":%.6f,\"shareLate2ms\":%.6f,\"p99LateMs\":%.3f,\"maxLateMs\":%.3f}\n",
         count, count ? (double)late1 / count : 0.0, count ? (double)late2 / count : 0.0, p99, max);
  free(sorted);
  return 0;
}
