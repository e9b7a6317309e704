/* Golden tests of the flow syntax: flow text in, canonical text out.
 *
 * Every NAME.in in the case directory is a flows file (one flow per line,
 * blank lines and '#' comments skipped). A first line "# command: KIND"
 * (add, modify, modify-strict, delete, delete-strict; default add) says
 * which flow-mod the flows are for. The runner parses the file with
 * fl_flow_parse_text() — all or nothing — and compares with NAME.out: the
 * canonical text of each flow, one per line, or the one-line error. A
 * canonical text must also parse back to the same spec and print the same,
 * so every .out line is itself a valid input.
 *
 * Port names resolve through a fixed map: eth0=1, eth1=2, vm1=10,
 * uplink=100.
 *
 *   golden_flows [--update] [DIR]
 *
 * DIR defaults to $FL_SRCDIR/tests/golden/flows. --update (re)writes every
 * .out file from the parser's output: add a case by adding NAME.in, run
 * --update, and review the new NAME.out before committing it.
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "flow/flow.h"

#define GOLDEN_MAX_TEXT 65536

static int lookup_port(void *aux, const char *name, uint32_t *port)
{
	static const struct {
		const char *name;
		uint32_t port;
	} ports[] = { { "eth0", 1 }, { "eth1", 2 }, { "vm1", 10 }, { "uplink", 100 } };
	size_t i;

	(void)aux;
	for (i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		if (!strcmp(name, ports[i].name)) {
			*port = ports[i].port;
			return 0;
		}
	}
	return -ENOENT;
}

static const struct fl_port_resolver resolver = { lookup_port, NULL };

static int has_suffix(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 3 && !strcmp(d->d_name + n - 3, ".in");
}

/* The command from a "# command: KIND" first line. */
static bool case_command(const char *text, enum fl_flow_cmd *cmd)
{
	static const struct {
		const char *name;
		enum fl_flow_cmd cmd;
	} kinds[] = {
		{ "add", FL_FLOW_ADD },
		{ "modify", FL_FLOW_MODIFY },
		{ "modify-strict", FL_FLOW_MODIFY_STRICT },
		{ "delete", FL_FLOW_DELETE },
		{ "delete-strict", FL_FLOW_DELETE_STRICT },
	};
	const char *p = "# command:";
	size_t i, len;

	*cmd = FL_FLOW_ADD;
	if (strncmp(text, p, strlen(p)))
		return true;
	text += strlen(p);
	text += strspn(text, " \t");
	len = strcspn(text, " \t\r\n");
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strlen(kinds[i].name) == len && !strncmp(text, kinds[i].name, len)) {
			*cmd = kinds[i].cmd;
			return true;
		}
	}
	return false;
}

/* Each canonical line must parse back to the same spec and text. */
static bool check_stable(const char *name, const struct fl_flow_spec *spec, const char *line)
{
	struct fl_flow_spec *again = aligned_alloc(FL_CACHE_LINE, sizeof(*again));
	char err[512], *text = malloc(GOLDEN_MAX_TEXT);
	bool ok = again && text;

	if (ok && fl_flow_parse(line, (enum fl_flow_cmd)spec->command, &resolver, again, err,
				sizeof(err))) {
		printf("FAIL %s: canonical '%s' does not parse: %s\n", name, line, err);
		ok = false;
	} else if (ok) {
		fl_flow_format(again, text, GOLDEN_MAX_TEXT);
		if (!fl_flow_spec_equal(spec, again) || strcmp(text, line)) {
			printf("FAIL %s: canonical '%s' parses back as '%s'\n", name, line, text);
			ok = false;
		}
		fl_flow_spec_uninit(again);
	}
	free(again);
	free(text);
	return ok;
}

/* The expected text of a case: canonical lines or the error, and whether
 * every line is stable. */
static char *run_case(const char *name, const char *in, bool *ok)
{
	struct fl_flow_spec *specs;
	enum fl_flow_cmd cmd;
	char err[1024], *out = malloc(GOLDEN_MAX_TEXT);
	size_t n, i, len = 0;

	*ok = true;
	if (!out)
		return NULL;
	if (!case_command(in, &cmd)) {
		printf("FAIL %s: bad '# command:' line\n", name);
		*ok = false;
		out[0] = '\0';
		return out;
	}
	if (fl_flow_parse_text(in, cmd, &resolver, &specs, &n, err, sizeof(err))) {
		snprintf(out, GOLDEN_MAX_TEXT, "%s\n", err);
		return out;
	}
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		int w = fl_flow_format(&specs[i], out + len, GOLDEN_MAX_TEXT - len - 1);

		if (w < 0 || (size_t)w >= GOLDEN_MAX_TEXT - len - 1) {
			printf("FAIL %s: output longer than %d bytes\n", name, GOLDEN_MAX_TEXT);
			*ok = false;
			break;
		}
		if (!check_stable(name, &specs[i], out + len))
			*ok = false;
		len += (size_t)w;
		out[len++] = '\n';
		out[len] = '\0';
	}
	fl_flow_specs_free(specs, n);
	return out;
}

/* Show the first line where want and got part. */
static void print_diff(const char *name, const char *want, const char *got)
{
	unsigned line = 1;

	while (*want && *want == *got) {
		if (*want == '\n')
			line++;
		want++;
		got++;
	}
	while (line > 1 && want[-1] != '\n') {
		want--;
		got--;
	}
	printf("FAIL %s (line %u)\n  - %.*s\n  + %.*s\n", name, line, (int)strcspn(want, "\n"), want,
	       (int)strcspn(got, "\n"), got);
}

static bool check_case(const char *dir, const char *name, bool update)
{
	char path[4096], *in, *want, *got;
	size_t len;
	bool ok;
	FILE *f;

	if (snprintf(path, sizeof(path), "%s/%s.in", dir, name) >= (int)sizeof(path)) {
		printf("FAIL %s: path too long\n", name);
		return false;
	}
	in = fl_read_file(path, &len);
	if (!in) {
		printf("FAIL %s: cannot read %s\n", name, path);
		return false;
	}
	got = run_case(name, in, &ok);
	free(in);
	if (!got)
		return false;
	if (snprintf(path, sizeof(path), "%s/%s.out", dir, name) >= (int)sizeof(path)) {
		printf("FAIL %s: path too long\n", name);
		free(got);
		return false;
	}
	if (update) {
		f = fopen(path, "w");
		if (!f || fputs(got, f) < 0 || fclose(f)) {
			printf("FAIL %s: cannot write %s: %s\n", name, path, strerror(errno));
			ok = false;
		}
		free(got);
		return ok;
	}
	want = fl_read_file(path, &len);
	if (!want) {
		printf("FAIL %s: no %s (run with --update, then review it)\n", name, path);
		free(got);
		return false;
	}
	if (strcmp(want, got)) {
		print_diff(name, want, got);
		ok = false;
	}
	free(want);
	free(got);
	return ok;
}

int main(int argc, char **argv)
{
	const char *dir = NULL, *srcdir = getenv("FL_SRCDIR");
	char default_dir[4096], name[256];
	struct dirent **ents;
	bool update = false;
	unsigned failed = 0;
	int n, i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--update"))
			update = true;
		else
			dir = argv[i];
	}
	if (!dir) {
		if (!srcdir) {
			fprintf(stderr, "usage: %s [--update] [DIR] (or set FL_SRCDIR)\n", argv[0]);
			return 2;
		}
		snprintf(default_dir, sizeof(default_dir), "%s/tests/golden/flows", srcdir);
		dir = default_dir;
	}
	n = scandir(dir, &ents, has_suffix, alphasort);
	if (n <= 0) {
		fprintf(stderr, "%s: no .in cases (%s)\n", dir, n < 0 ? strerror(errno) : "empty");
		return 1;
	}
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%.*s", (int)strlen(ents[i]->d_name) - 3,
			 ents[i]->d_name);
		if (!check_case(dir, name, update))
			failed++;
		free(ents[i]);
	}
	free(ents);
	printf("golden flows: %d cases, %u failed%s\n", n, failed, update ? " (updated)" : "");
	return failed ? 1 : 0;
}
