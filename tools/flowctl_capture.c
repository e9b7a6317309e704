/* flowctl capture: write the frames the daemon streams back into a pcap
 * file (classic format, microsecond stamps, which every reader takes).
 * Stops at -c N frames (the daemon ends the stream) or on Ctrl-C/SIGTERM,
 * when flowctl asks the daemon to stop and waits for its final counts, so
 * the file is complete and the summary says how many frames the daemon had
 * to skip because the file was written too slowly.
 */
#include "flowctl.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SNAPLEN_MAX 65535u

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static int b64_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decode base64 (with '=' padding) into out (cap bytes); -1 if malformed. */
static long unbase64(const char *in, size_t len, uint8_t *out, size_t cap)
{
	size_t i, o = 0;

	if (len % 4)
		return -1;
	for (i = 0; i < len; i += 4) {
		int v[4], k, n = 3;

		for (k = 0; k < 4; k++) {
			v[k] = b64_value((unsigned char)in[i + k]);
			if (v[k] < 0) {
				if (in[i + k] != '=' || i + 4 != len || k < 2)
					return -1;
				v[k] = 0;
				n = n < k - 1 ? n : k - 1;
			}
		}
		if (o + (size_t)n > cap)
			return -1;
		out[o++] = (uint8_t)(v[0] << 2 | v[1] >> 4);
		if (n > 1)
			out[o++] = (uint8_t)(v[1] << 4 | v[2] >> 2);
		if (n > 2)
			out[o++] = (uint8_t)(v[2] << 6 | v[3]);
	}
	return (long)o;
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4); /* pcap is written in host order; readers check the magic */
}

static int write_header(FILE *f, uint32_t snaplen, uint32_t linktype)
{
	uint16_t major = 2, minor = 4;
	uint8_t h[24];

	put32(h, 0xa1b2c3d4);
	memcpy(h + 4, &major, 2);
	memcpy(h + 6, &minor, 2);
	put32(h + 8, 0);  /* thiszone */
	put32(h + 12, 0); /* sigfigs */
	put32(h + 16, snaplen);
	put32(h + 20, linktype);
	return fwrite(h, sizeof(h), 1, f) == 1 ? 0 : -1;
}

static int write_frame(FILE *f, const struct fl_json *frame)
{
	static uint8_t data[SNAPLEN_MAX];
	const struct fl_json *d = fl_json_get(frame, "data");
	uint64_t ts = 0, len = 0;
	uint8_t h[16];
	long n;

	fl_json_u64(fl_json_get(frame, "ts_ns"), &ts);
	fl_json_u64(fl_json_get(frame, "len"), &len);
	if (!d || d->type != FL_JSON_STRING ||
	    (n = unbase64(d->str.s, d->str.len, data, sizeof(data))) < 0) {
		fprintf(stderr, "flowctl capture: a frame with bad data from the daemon\n");
		return -1;
	}
	put32(h, (uint32_t)(ts / 1000000000u));
	put32(h + 4, (uint32_t)(ts % 1000000000u / 1000u));
	put32(h + 8, (uint32_t)n);
	put32(h + 12, (uint32_t)(len > (uint64_t)n ? len : (uint64_t)n));
	if (fwrite(h, sizeof(h), 1, f) != 1 || (n && fwrite(data, (size_t)n, 1, f) != 1)) {
		fprintf(stderr, "flowctl capture: writing the file: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static int capture_usage(const char *msg)
{
	fprintf(stderr, "flowctl capture: %s\nusage: flowctl capture PORT [-f FILTER] [-c N] "
			"[--dir rx|tx|both] [-s SNAPLEN] -w FILE\n", msg);
	return FLOWCTL_USAGE;
}

static void summary(struct flowctl *fc, const struct fl_json *res, const char *port,
		    bool to_stdout)
{
	uint64_t pk = 0, dr = 0;
	FILE *out = fc->json && !to_stdout ? stdout : stderr;

	fl_json_u64(fl_json_get(res, "packets"), &pk);
	fl_json_u64(fl_json_get(res, "dropped"), &dr);
	if (fc->json)
		flowctl_print_json(out, res);
	else
		fprintf(stderr, "flowctl: %" PRIu64 " frames captured on %s, %" PRIu64
				" not copied (capture too slow)\n", pk, port, dr);
}

int flowctl_capture(struct flowctl *fc, int argc, char **argv)
{
	const char *port = NULL, *filter = NULL, *dir = NULL, *path = NULL;
	unsigned long long count = 0, snaplen = 0;
	struct sigaction sa = {.sa_handler = on_signal};
	struct fl_json *resp = NULL;
	bool ok = false, stop_sent = false, to_stdout;
	struct fl_jw req;
	char *end;
	FILE *f;
	int i, ret;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i];
		bool has = i + 1 < argc;

		if ((!strcmp(a, "-f") || !strcmp(a, "--filter")) && has)
			filter = argv[++i];
		else if ((!strcmp(a, "-c") || !strcmp(a, "--count")) && has) {
			count = strtoull(argv[++i], &end, 10);
			if (*end || !argv[i][0] || argv[i][0] == '-')
				return capture_usage("-c takes a number of frames");
		} else if ((!strcmp(a, "-s") || !strcmp(a, "--snaplen")) && has) {
			snaplen = strtoull(argv[++i], &end, 10);
			if (*end || !argv[i][0] || snaplen < 14 || snaplen > SNAPLEN_MAX)
				return capture_usage("-s takes a length, 14 to 65535");
		} else if (!strcmp(a, "--dir") && has)
			dir = argv[++i];
		else if ((!strcmp(a, "-w") || !strcmp(a, "--write")) && has)
			path = argv[++i];
		else if (a[0] != '-' && !port)
			port = a;
		else
			return capture_usage("unexpected argument");
	}
	if (!port || !path)
		return capture_usage(!port ? "missing PORT" : "missing -w FILE");
	to_stdout = !strcmp(path, "-");
	fl_jw_init(&req, false);
	fl_jw_obj(&req);
	fl_jw_kstr(&req, "cmd", "capture");
	fl_jw_key(&req, "args");
	fl_jw_obj(&req);
	fl_jw_kstr(&req, "port", port);
	if (filter)
		fl_jw_kstr(&req, "filter", filter);
	if (dir)
		fl_jw_kstr(&req, "dir", dir);
	if (count)
		fl_jw_ku64(&req, "count", count);
	if (snaplen)
		fl_jw_ku64(&req, "snaplen", snaplen);
	fl_jw_obj_end(&req);
	fl_jw_obj_end(&req);
	fl_jw_raw(&req, "\n", 1);
	ret = flowctl_connect(fc);
	if (ret == FLOWCTL_OK)
		ret = flowctl_send(fc, &req);
	fl_jw_free(&req);
	if (ret == FLOWCTL_OK)
		ret = flowctl_recv(fc, (int)(fc->timeout_s * 1000), &resp);
	if (ret != FLOWCTL_OK)
		return ret;
	fl_json_bool(fl_json_get(resp, "ok"), &ok);
	if (!ok) {
		fprintf(stderr, "flowctl: %s\n",
			fl_json_str(fl_json_get(resp, "error")) ?: "capture refused");
		if (fc->json)
			flowctl_print_json(stdout, resp);
		fl_json_free(resp);
		return FLOWCTL_REFUSED;
	}
	f = to_stdout ? stdout : fopen(path, "wbe");
	if (!f) {
		fprintf(stderr, "flowctl capture: %s: %s\n", path, strerror(errno));
		fl_json_free(resp);
		return FLOWCTL_REFUSED; /* the daemon stops when we close */
	}
	{
		uint64_t sl = 2048, lt = 1;

		fl_json_u64(fl_json_get(fl_json_get(resp, "result"), "snaplen"), &sl);
		fl_json_u64(fl_json_get(fl_json_get(resp, "result"), "linktype"), &lt);
		if (write_header(f, (uint32_t)sl, (uint32_t)lt) < 0 || fflush(f) != 0) {
			fprintf(stderr, "flowctl capture: %s: %s\n", path, strerror(errno));
			if (!to_stdout)
				fclose(f);
			return FLOWCTL_REFUSED;
		}
	}
	fl_json_free(resp);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	for (;;) {
		const struct fl_json *frame;

		resp = NULL;
		if (stop_requested && !stop_sent) {
			struct fl_jw stop;

			fl_jw_init(&stop, false);
			fl_jw_raw(&stop, "{\"cmd\":\"stop\"}\n", 15);
			ret = flowctl_send(fc, &stop);
			fl_jw_free(&stop);
			if (ret != FLOWCTL_OK)
				break;
			stop_sent = true;
		}
		ret = flowctl_recv_intr(fc, stop_sent ? (int)(fc->timeout_s * 1000) : -1, &resp);
		if (ret == -EINTR)
			continue;
		if (ret != FLOWCTL_OK)
			break;
		frame = fl_json_get(resp, "frame");
		if (frame) {
			if (write_frame(f, frame) < 0) {
				ret = FLOWCTL_REFUSED;
				fl_json_free(resp);
				break;
			}
			if (to_stdout)
				fflush(f);
			fl_json_free(resp);
			continue;
		}
		summary(fc, fl_json_get(resp, "result"), port, to_stdout);
		fl_json_free(resp);
		ret = FLOWCTL_OK;
		break;
	}
	if ((to_stdout ? fflush(f) : fclose(f)) != 0) {
		fprintf(stderr, "flowctl capture: %s: %s\n", path, strerror(errno));
		ret = FLOWCTL_REFUSED;
	}
	return ret;
}
