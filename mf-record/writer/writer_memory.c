/*
 * writer_memory.c - the stream's time, RSS and m records (see
 * writer_memory.h).
 */
#include "writer_memory.h"

#include "writer_clock.h"
#include "writer_format.h"

void memory_init(struct writer_memory *m, uint64_t start_ns, uint64_t interval_ms,
		 pid_t pid, int untimed)
{
	*m = (struct writer_memory){ .start_ns = start_ns, .interval_ms = interval_ms,
		.next_m_ms = interval_ms, .pid = pid, .untimed = untimed };
}

static uint64_t ms_since_start(const struct writer_memory *m, uint64_t ns)
{
	return ns > m->start_ns ? (ns - m->start_ns) / 1000000 : 0;
}

void memory_sample_rss(struct writer_memory *m)
{
	if (m->process_gone)
		return;
	uint64_t rss = process_rss(m->pid);
	/* A process being reaped has no memory left: keep the last value. */
	if (rss)
		m->rss = rss;
}

void memory_process_gone(struct writer_memory *m)
{
	m->process_gone = 1;
}

/* Write the m records due up to ms; they set the time. */
static void write_memory_records(struct writer_memory *m, struct writer_output *t,
				 uint64_t ms, uint64_t heap)
{
	if (ms < m->next_m_ms)
		return;
	memory_sample_rss(m);
	while (m->next_m_ms <= ms) {
		FORMAT(t, EV_MEMORY, m->next_m_ms, heap, m->rss);
		m->now_ms = m->next_m_ms;
		m->next_m_ms += m->interval_ms;
	}
}

void memory_idle(struct writer_memory *m, struct writer_output *t, uint64_t now_ns,
		 uint64_t heap)
{
	write_memory_records(m, t, ms_since_start(m, now_ns), heap);
}

void memory_move(struct writer_memory *m, struct writer_output *t, uint64_t ns, uint64_t heap)
{
	uint64_t ms = ms_since_start(m, ns);
	m->next_ms_ns = m->start_ns + (ms + 1) * 1000000;
	if (ms <= m->now_ms)
		return;		/* the same millisecond, or late: clamped */
	write_memory_records(m, t, ms, heap);
	if (ms == m->now_ms)
		return;
	m->now_ms = ms;
	if (m->untimed)
		return;		/* an aggregated capture has no records to time */
	FORMAT(t, EV_TIME, ms);
}
