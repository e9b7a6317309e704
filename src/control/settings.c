/* The settings table (state.h): every tunable of the running switch, once,
 * with its range and where it lives in struct fl_switch_params. flowctl
 * set/get, the state file and the help text are all driven from it, so a
 * new setting is one line here.
 */
#include "control/state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/compiler.h"

#define FIELD_ACCESSORS(fn, field)                                          \
	static uint64_t get_##fn(const struct fl_switch_params *p)          \
	{                                                                   \
		return (uint64_t)p->field;                                  \
	}                                                                   \
	static void set_##fn(struct fl_switch_params *p, uint64_t v)        \
	{                                                                   \
		p->field = (__typeof__(p->field))v;                         \
	}

FIELD_ACCESSORS(workers, n_workers)
FIELD_ACCESSORS(buffers, dp.n_bufs)
FIELD_ACCESSORS(emc_entries, dp.emc_entries)
FIELD_ACCESSORS(emc_inv_prob, dp.emc_inv_prob)
FIELD_ACCESSORS(mf_limit, dp.mf_limit)
FIELD_ACCESSORS(mf_idle_ms, dp.mf_idle_ms)
FIELD_ACCESSORS(mac_aging, dp.mac_aging_s)
FIELD_ACCESSORS(idle_spins, idle_spins)
FIELD_ACCESSORS(sleep_ms, sleep_ms)
FIELD_ACCESSORS(poll_us, poll_us)

/* "rps": on unless no_rps */
static uint64_t get_rps(const struct fl_switch_params *p)
{
	return !p->no_rps;
}

static void set_rps(struct fl_switch_params *p, uint64_t v)
{
	p->no_rps = !v;
}

/* "emc": on unless emc_off */
static uint64_t get_emc(const struct fl_switch_params *p)
{
	return !p->dp.emc_off;
}

static void set_emc(struct fl_switch_params *p, uint64_t v)
{
	p->dp.emc_off = !v;
}

#define NUM(n, fn, lo, hi, h) {n, h, false, false, false, lo, hi, get_##fn, set_##fn}
#define POW2(n, fn, lo, hi, h) {n, h, false, true, false, lo, hi, get_##fn, set_##fn}
#define START(n, fn, lo, hi, h) {n, h, false, false, true, lo, hi, get_##fn, set_##fn}
#define BOOL(n, fn, h) {n, h, true, false, false, 0, 1, get_##fn, set_##fn}

static const struct fl_ctl_setting settings[] = {
	NUM("workers", workers, 1, FL_SWITCH_MAX_WORKERS,
	    "worker threads (default: one per CPU the control thread leaves)"),
	START("buffers", buffers, 64, 1u << 24,
	      "packet buffers in the pool (default 16384; at start only)"),
	POW2("emc-entries", emc_entries, 1, FL_EMC_MAX_ENTRIES,
	     "exact-match cache entries per worker (default 8192)"),
	NUM("emc-insert-inv-prob", emc_inv_prob, 1, 1000000000,
	    "insert into the EMC 1 in N misses (default 100)"),
	BOOL("emc", emc, "use the exact-match cache at all (default on)"),
	NUM("megaflow-limit", mf_limit, 1, 1u << 24,
	    "megaflows per worker (default 200000)"),
	NUM("megaflow-idle-ms", mf_idle_ms, 1, 3600000,
	    "megaflows unused this long expire (default 10000)"),
	NUM("idle-spins", idle_spins, 1, 100000000,
	    "empty polls before a worker sleeps (default 256)"),
	NUM("sleep-ms", sleep_ms, 1, 10000, "longest sleep of an idle worker (default 100)"),
	NUM("idle-poll-us", poll_us, 1, 10000000,
	    "microseconds a worker keeps polling after its last packet before it sleeps "
	    "(default 20000)"),
	BOOL("rps", rps, "spread ports with fewer queues than workers by flow hash (default on)"),
	START("mac-aging", mac_aging, 1, 1000000,
	      "seconds a learned MAC address lives (default 300; at start only)"),
};

const struct fl_ctl_setting *fl_ctl_settings(unsigned *n)
{
	*n = FL_ARRAY_SIZE(settings);
	return settings;
}

const struct fl_ctl_setting *fl_ctl_setting_find(const char *name)
{
	unsigned i;

	for (i = 0; i < FL_ARRAY_SIZE(settings); i++)
		if (!strcmp(settings[i].name, name))
			return &settings[i];
	return NULL;
}

int fl_ctl_setting_check(const struct fl_ctl_setting *s, uint64_t v, bool zero_ok, char *err,
			 size_t errlen)
{
	if (s->boolean) {
		if (v > 1) {
			snprintf(err, errlen, "%s: expected true or false", s->name);
			return -EINVAL;
		}
		return 0;
	}
	if (v == 0 && zero_ok)
		return 0;
	if (v < s->min || v > s->max) {
		snprintf(err, errlen, "%s: %llu is out of range (%llu to %llu)", s->name,
			 (unsigned long long)v, (unsigned long long)s->min,
			 (unsigned long long)s->max);
		return -EINVAL;
	}
	if (s->pow2 && !fl_is_pow2((unsigned long)v)) {
		snprintf(err, errlen, "%s: %llu is not a power of two", s->name,
			 (unsigned long long)v);
		return -EINVAL;
	}
	return 0;
}

int fl_ctl_setting_parse(const struct fl_ctl_setting *s, const char *text, bool zero_ok,
			 uint64_t *v, char *err, size_t errlen)
{
	char *end;

	if (s->boolean) {
		if (!strcasecmp(text, "true") || !strcasecmp(text, "on") || !strcmp(text, "1") ||
		    !strcasecmp(text, "yes")) {
			*v = 1;
			return 0;
		}
		if (!strcasecmp(text, "false") || !strcasecmp(text, "off") || !strcmp(text, "0") ||
		    !strcasecmp(text, "no")) {
			*v = 0;
			return 0;
		}
		snprintf(err, errlen, "%s: '%s' is not on or off", s->name, text);
		return -EINVAL;
	}
	errno = 0;
	if (text[0] < '0' || text[0] > '9' || (*v = strtoull(text, &end, 10), errno) || *end) {
		snprintf(err, errlen, "%s: '%s' is not a number", s->name, text);
		return -EINVAL;
	}
	return fl_ctl_setting_check(s, *v, zero_ok, err, errlen);
}
