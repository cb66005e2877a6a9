/*
 * writer_clock.c - the launcher's clocks and the clock that orders
 * events; see writer_clock.h.
 */
#include "writer_clock.h"

#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "err.h"

uint64_t monotonic_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t realtime_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t process_rss(pid_t pid)
{
	char path[64], text[128];
	snprintf(path, sizeof path, "/proc/%ld/statm", (long)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, text, sizeof text - 1);
	close(fd);
	if (n <= 0)
		return 0;
	text[n] = '\0';
	unsigned long long size, resident;
	if (sscanf(text, "%llu %llu", &size, &resident) != 2)
		return 0;
	return resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

#if defined(__x86_64__)
#include <cpuid.h>
#include <x86intrin.h>

/* rdtscp, and a counter that ticks at one rate in every power state. */
static int cpu_has_invariant_tsc(void)
{
	unsigned a, b, c, d;
	if (!__get_cpuid(0x80000001, &a, &b, &c, &d) || !(d & (1u << 27)))
		return 0;
	return __get_cpuid(0x80000007, &a, &b, &c, &d) && (d & (1u << 8));
}

static uint64_t tsc_now(void)
{
	unsigned cpu;
	uint64_t tsc = __rdtscp(&cpu);
	_mm_lfence();	/* the loads after this read come after it */
	return tsc;
}
#else
static int cpu_has_invariant_tsc(void)
{
	return 0;
}

static uint64_t tsc_now(void)
{
	return 0;
}
#endif

/* Whether the kernel keeps CLOCK_MONOTONIC on the time stamp counter. */
static int kernel_clock_is_tsc(void)
{
	FILE *f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r");
	char name[32] = "";
	if (!f)
		return 0;
	int ok = fgets(name, sizeof name, f) && strcmp(name, "tsc\n") == 0;
	fclose(f);
	return ok;
}

enum mf_clock clock_choose(void)
{
	const char *want = getenv("MF_CLOCK");
	int usable = cpu_has_invariant_tsc() && kernel_clock_is_tsc();
	if (!want || !*want)
		return usable ? MF_CLOCK_TSC : MF_CLOCK_COUNTER;
	if (strcmp(want, "counter") == 0)
		return MF_CLOCK_COUNTER;
	if (strcmp(want, "tsc") != 0)
		die("MF_CLOCK is '%s': expected 'tsc' or 'counter'", want);
	if (!usable)
		die("MF_CLOCK=tsc: this machine's time stamp counter cannot order events "
		    "(it needs x86-64 with rdtscp, an invariant counter and the kernel's clocksource 'tsc')");
	return MF_CLOCK_TSC;
}

uint64_t clock_key_now(const struct mf_shared_header *hdr)
{
	if (hdr->clock == MF_CLOCK_TSC)
		return tsc_now();
	/* Acquire: the rings are read after it. */
	return atomic_load_explicit(&((struct mf_shared_header *)hdr)->counter, memory_order_acquire);
}

/* Read both clocks; the rate is measured since the first reading. */
static int read_both(struct clock_rate *c)
{
	uint64_t tsc = tsc_now();
	uint64_t ns = monotonic_ns();
	if (tsc <= c->tsc0 || ns <= c->ns0)
		return 0;
	c->tsc = tsc;
	c->ns = ns;
	c->ns_per_tick = (double)(ns - c->ns0) / (double)(tsc - c->tsc0);
	return 1;
}

void clock_rate_start(struct clock_rate *c)
{
	c->tsc0 = tsc_now();
	c->ns0 = monotonic_ns();
	c->tsc = c->tsc0;
	c->ns = c->ns0;
	c->ns_per_tick = 0;
	while (monotonic_ns() < c->ns0 + 1000000)
		;
	read_both(c);
}

int clock_rate_update(struct clock_rate *c, uint64_t now_ns)
{
	return now_ns >= c->ns + 1000000 && read_both(c);
}

uint64_t clock_rate_ns(const struct clock_rate *c, uint64_t tsc)
{
	double delta = (double)(int64_t)(tsc - c->tsc) * c->ns_per_tick;
	double ns = (double)c->ns + delta;
	return ns <= 0 ? 0 : (uint64_t)ns;
}
