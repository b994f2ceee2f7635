/* SPDX-License-Identifier: GPL-2.0 */
/*
 * benchlib.h: helpers shared by the C benchmarks under bench/ (cgroup_ops, provision):
 * CLOCK_MONOTONIC timestamps, cgroup path building, latency percentiles, small file writes
 * and CPU-time readings (getrusage and the guest-wide /proc/stat).
 */
#ifndef RUND_BENCHLIB_H
#define RUND_BENCHLIB_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static inline double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* @buf = "@dir/@prefix<a>" or, when @b >= 0, "@dir/@prefix<a>-<b>" */
static inline void path_of(char *buf, size_t len, const char *dir, const char *prefix, int a,
			   int b)
{
	int n = b < 0 ? snprintf(buf, len, "%s/%s%d", dir, prefix, a) :
			snprintf(buf, len, "%s/%s%d-%d", dir, prefix, a, b);

	if (n >= (int)len)
		buf[len - 1] = '\0';
}

static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct lat_summary {
	double p50, p99, max;
};

/* Sorts @lat in place. */
static inline struct lat_summary lat_summarize(double *lat, int n)
{
	qsort(lat, n, sizeof(*lat), cmp_double);
	return (struct lat_summary){ lat[n / 2], lat[(int)(n * 0.99)], lat[n - 1] };
}

/* Write @val to @file relative to @dirfd in one write(2); 0 or the errno. */
static inline int write_at(int dirfd, const char *file, const char *val)
{
	int fd = openat(dirfd, file, O_WRONLY | O_CLOEXEC), err = 0;
	size_t len = strlen(val);

	if (fd < 0)
		return errno;
	if (write(fd, val, len) != (ssize_t)len)
		err = errno ? errno : EIO;
	close(fd);
	return err;
}

/* User + system CPU of @who (RUSAGE_SELF, RUSAGE_CHILDREN) in ms. */
static inline double rusage_ms(int who)
{
	struct rusage ru;

	if (getrusage(who, &ru))
		return 0;
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

/* Busy CPU time of the whole machine (all CPUs, all but idle and iowait) in ms. */
static inline double sys_busy_ms(void)
{
	unsigned long long v[10] = { 0 }, busy = 0;
	FILE *f = fopen("/proc/stat", "re");
	long hz = sysconf(_SC_CLK_TCK);

	if (!f)
		return 0;
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
		   &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]) < 8) {
		fclose(f);
		return 0;
	}
	fclose(f);
	/* user nice system [idle iowait] irq softirq steal; guest time is inside user */
	busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
	return busy * 1e3 / (hz > 0 ? hz : 100);
}

#endif /* RUND_BENCHLIB_H */
