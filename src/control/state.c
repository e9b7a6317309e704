/* The state file (state.h): the configuration to and from JSON, and the
 * atomic write. Reading validates everything before the caller applies any
 * of it, so a bad file is refused as a whole with the path of the first bad
 * item ("ports[1].port_no: 70000 is out of range").
 */
#include "control/state.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/compiler.h"
#include "core/file.h"

void fl_ctl_state_init(struct fl_ctl_state *st)
{
	memset(st, 0, sizeof(*st));
}

void fl_ctl_state_clear(struct fl_ctl_state *st)
{
	size_t i;

	for (i = 0; i < st->n_flows; i++)
		free(st->flows[i]);
	free(st->flows);
	fl_ctl_state_init(st);
}

int fl_ctl_state_add_flow(struct fl_ctl_state *st, const char *text)
{
	char *copy;

	if (st->n_flows == st->cap_flows) {
		size_t cap = st->cap_flows ? st->cap_flows * 2 : 64;
		char **nf = realloc(st->flows, cap * sizeof(*nf));

		if (!nf)
			return -ENOMEM;
		st->flows = nf;
		st->cap_flows = cap;
	}
	copy = strdup(text);
	if (!copy)
		return -ENOMEM;
	st->flows[st->n_flows++] = copy;
	return 0;
}

static const char *const miss_names[] = {"drop", "continue", "normal"};

const char *fl_ctl_miss_name(enum fl_table_miss m)
{
	return (unsigned)m < FL_ARRAY_SIZE(miss_names) ? miss_names[m] : "?";
}

int fl_ctl_miss_parse(const char *name, enum fl_table_miss *m)
{
	unsigned i;

	for (i = 0; i < FL_ARRAY_SIZE(miss_names); i++) {
		if (!strcmp(name, miss_names[i])) {
			*m = (enum fl_table_miss)i;
			return 0;
		}
	}
	return -EINVAL;
}

void fl_ctl_state_to_json(const struct fl_ctl_state *st, struct fl_jw *w)
{
	const struct fl_ctl_setting *set;
	unsigned n, i;
	size_t f;

	fl_jw_obj(w);
	fl_jw_ku64(w, "flowlane_state", FL_CTL_STATE_VERSION);
	fl_jw_key(w, "settings");
	fl_jw_obj(w);
	set = fl_ctl_settings(&n);
	for (i = 0; i < n; i++) {
		fl_jw_key(w, set[i].name);
		if (set[i].boolean)
			fl_jw_bool(w, set[i].get(&st->params));
		else
			fl_jw_u64(w, set[i].get(&st->params));
	}
	fl_jw_obj_end(w);
	fl_jw_key(w, "table_miss");
	fl_jw_obj(w);
	for (i = 0; i < FL_PIPELINE_TABLES; i++) {
		char key[8];

		if (st->miss[i] == FL_MISS_DROP)
			continue;
		snprintf(key, sizeof(key), "%u", i);
		fl_jw_kstr(w, key, fl_ctl_miss_name(st->miss[i]));
	}
	fl_jw_obj_end(w);
	fl_jw_key(w, "ports");
	fl_jw_arr(w);
	for (i = 0; i < st->n_ports; i++) {
		fl_jw_obj(w);
		fl_jw_kstr(w, "name", st->ports[i].name);
		fl_jw_ku64(w, "port_no", st->ports[i].port_no);
		fl_jw_kstr(w, "spec", st->ports[i].spec);
		fl_jw_obj_end(w);
	}
	fl_jw_arr_end(w);
	fl_jw_key(w, "flows");
	fl_jw_arr(w);
	for (f = 0; f < st->n_flows; f++)
		fl_jw_str(w, st->flows[f]);
	fl_jw_arr_end(w);
	if (st->journal[0])
		fl_jw_kstr(w, "journal", st->journal);
	fl_jw_obj_end(w);
	fl_jw_raw(w, "\n", 1);
}

/* --- reading --- */

static int FL_PRINTF(3, 4) bad(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int read_settings(struct fl_ctl_state *st, const struct fl_json *v, char *err,
			 size_t errlen)
{
	size_t i;

	if (v->type != FL_JSON_OBJECT)
		return bad(err, errlen, "settings: expected an object, not %s",
			   fl_json_type_name(v->type));
	for (i = 0; i < v->obj.n; i++) {
		const struct fl_ctl_setting *s = fl_ctl_setting_find(v->obj.m[i].key);
		const struct fl_json *val = v->obj.m[i].value;
		uint64_t x;
		bool b;
		char msg[192];

		if (!s)
			return bad(err, errlen, "settings: unknown setting '%s'", v->obj.m[i].key);
		if (s->boolean) {
			if (!fl_json_bool(val, &b))
				return bad(err, errlen, "settings.%s: expected true or false",
					   s->name);
			x = b;
		} else if (!fl_json_u64(val, &x)) {
			return bad(err, errlen, "settings.%s: expected a non-negative integer",
				   s->name);
		}
		if (fl_ctl_setting_check(s, x, true, msg, sizeof(msg)))
			return bad(err, errlen, "settings.%s", msg);
		s->set(&st->params, x);
	}
	return 0;
}

static int read_misses(struct fl_ctl_state *st, const struct fl_json *v, char *err,
		       size_t errlen)
{
	size_t i;

	if (v->type != FL_JSON_OBJECT)
		return bad(err, errlen, "table_miss: expected an object, not %s",
			   fl_json_type_name(v->type));
	for (i = 0; i < v->obj.n; i++) {
		const char *key = v->obj.m[i].key, *val = fl_json_str(v->obj.m[i].value);
		enum fl_table_miss m;
		unsigned long t;
		char *end;

		t = strtoul(key, &end, 10);
		if (key[0] < '0' || key[0] > '9' || *end || (key[0] == '0' && key[1]) ||
		    t >= FL_PIPELINE_TABLES)
			return bad(err, errlen, "table_miss: '%s' is not a table (0 to %u)", key,
				   FL_PIPELINE_TABLES - 1);
		if (!val || fl_ctl_miss_parse(val, &m))
			return bad(err, errlen,
				   "table_miss.%s: expected \"drop\", \"continue\" or \"normal\"", key);
		st->miss[t] = (uint8_t)m;
	}
	return 0;
}

static int read_port(struct fl_ctl_state *st, size_t idx, const struct fl_json *v, char *err,
		     size_t errlen)
{
	struct fl_ctl_state_port *p = &st->ports[st->n_ports];
	const char *name = NULL, *spec = NULL;
	uint64_t no = 0;
	bool have_no = false;
	size_t i;

	if (v->type != FL_JSON_OBJECT)
		return bad(err, errlen, "ports[%zu]: expected an object", idx);
	for (i = 0; i < v->obj.n; i++) {
		const char *k = v->obj.m[i].key;
		const struct fl_json *val = v->obj.m[i].value;

		if (!strcmp(k, "name") && (name = fl_json_str(val)))
			continue;
		if (!strcmp(k, "spec") && (spec = fl_json_str(val)))
			continue;
		if (!strcmp(k, "port_no") && (have_no = fl_json_u64(val, &no)))
			continue;
		if (!strcmp(k, "name") || !strcmp(k, "spec"))
			return bad(err, errlen, "ports[%zu].%s: expected a string", idx, k);
		if (!strcmp(k, "port_no"))
			return bad(err, errlen, "ports[%zu].port_no: expected an integer", idx);
		return bad(err, errlen, "ports[%zu]: unknown key '%s'", idx, k);
	}
	if (!name || !spec || !have_no)
		return bad(err, errlen, "ports[%zu].%s: missing", idx,
			   !name ? "name" : !spec ? "spec" : "port_no");
	if (!name[0] || strlen(name) >= sizeof(p->name))
		return bad(err, errlen, "ports[%zu].name: 1 to %zu characters", idx,
			   sizeof(p->name) - 1);
	if (!spec[0] || strlen(spec) >= sizeof(p->spec))
		return bad(err, errlen, "ports[%zu].spec: 1 to %zu characters", idx,
			   sizeof(p->spec) - 1);
	if (no < 1 || no >= FL_DP_PORT_NO_MAX)
		return bad(err, errlen, "ports[%zu].port_no: %llu is out of range (1 to %u)", idx,
			   (unsigned long long)no, FL_DP_PORT_NO_MAX - 1);
	for (i = 0; i < st->n_ports; i++) {
		if (!strcmp(st->ports[i].name, name))
			return bad(err, errlen, "ports[%zu]: a second port named '%s'", idx, name);
		if (st->ports[i].port_no == no)
			return bad(err, errlen, "ports[%zu]: port number %llu used twice", idx,
				   (unsigned long long)no);
	}
	strcpy(p->name, name);
	strcpy(p->spec, spec);
	p->port_no = (uint32_t)no;
	st->n_ports++;
	return 0;
}

static int read_list(struct fl_ctl_state *st, const char *key, const struct fl_json *v,
		     char *err, size_t errlen)
{
	size_t i;
	int ret;

	if (v->type != FL_JSON_ARRAY)
		return bad(err, errlen, "%s: expected an array, not %s", key,
			   fl_json_type_name(v->type));
	if (!strcmp(key, "ports") && v->arr.n > FL_DP_MAX_PORTS)
		return bad(err, errlen, "ports: %zu ports, at most %u", v->arr.n, FL_DP_MAX_PORTS);
	for (i = 0; i < v->arr.n; i++) {
		const char *text = fl_json_str(v->arr.v[i]);

		if (!strcmp(key, "ports")) {
			ret = read_port(st, i, v->arr.v[i], err, errlen);
			if (ret)
				return ret;
			continue;
		}
		if (!text || !text[0])
			return bad(err, errlen, "flows[%zu]: expected the text of a flow", i);
		if (fl_ctl_state_add_flow(st, text))
			return -ENOMEM;
	}
	return 0;
}

int fl_ctl_state_from_json(struct fl_ctl_state *st, const char *text, size_t len, char *err,
			   size_t errlen)
{
	struct fl_json *root;
	bool have_version = false;
	uint64_t version;
	size_t i;
	int ret;

	ret = fl_json_parse(text, len, &root, NULL, err, errlen);
	if (ret)
		return ret;
	if (root->type != FL_JSON_OBJECT) {
		ret = bad(err, errlen, "expected a JSON object, not %s",
			  fl_json_type_name(root->type));
		goto out;
	}
	for (i = 0; i < root->obj.n && !ret; i++) {
		const char *k = root->obj.m[i].key;
		const struct fl_json *v = root->obj.m[i].value;

		if (!strcmp(k, "flowlane_state")) {
			if (!fl_json_u64(v, &version))
				ret = bad(err, errlen, "flowlane_state: expected a version number");
			else if (version != FL_CTL_STATE_VERSION)
				ret = bad(err, errlen, "flowlane_state: version %llu is not supported "
					  "(this flowlane reads version %u)",
					  (unsigned long long)version, FL_CTL_STATE_VERSION);
			have_version = true;
		} else if (!strcmp(k, "settings")) {
			ret = read_settings(st, v, err, errlen);
		} else if (!strcmp(k, "table_miss")) {
			ret = read_misses(st, v, err, errlen);
		} else if (!strcmp(k, "ports") || !strcmp(k, "flows")) {
			ret = read_list(st, k, v, err, errlen);
		} else if (!strcmp(k, "journal")) {
			const char *id = fl_json_str(v);

			if (!id || strlen(id) != FL_CTL_JOURNAL_ID_LEN ||
			    strspn(id, "0123456789abcdef") != FL_CTL_JOURNAL_ID_LEN)
				ret = bad(err, errlen, "journal: expected %d hex digits",
					  FL_CTL_JOURNAL_ID_LEN);
			else
				memcpy(st->journal, id, FL_CTL_JOURNAL_ID_LEN + 1);
		} else {
			ret = bad(err, errlen, "unknown key '%s'", k);
		}
	}
	if (!ret && !have_version)
		ret = bad(err, errlen, "flowlane_state: missing (not a flowlane state file?)");
out:
	fl_json_free(root);
	if (ret)
		fl_ctl_state_clear(st);
	return ret;
}

/* --- files --- */

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int fsync_dir(const char *path)
{
	char copy[PATH_MAX];
	int fd, ret = 0;

	snprintf(copy, sizeof(copy), "%s", path);
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

int fl_ctl_state_save(const char *path, const struct fl_ctl_state *st, char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	struct fl_jw w;
	int fd, ret;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -ENAMETOOLONG;
	}
	fl_jw_init(&w, true);
	fl_ctl_state_to_json(st, &w);
	if (fl_jw_failed(&w)) {
		fl_jw_free(&w);
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", tmp, strerror(-ret));
		fl_jw_free(&w);
		return ret;
	}
	ret = write_all(fd, w.buf, w.len);
	fl_jw_free(&w);
	if (!ret && fsync(fd) < 0)
		ret = -errno;
	if (close(fd) < 0 && !ret)
		ret = -errno;
	if (ret) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(-ret));
		unlink(tmp);
		return ret;
	}
	if (rename(tmp, path) < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: rename: %s", path, strerror(-ret));
		unlink(tmp);
		return ret;
	}
	/* the rename itself is durable only once the directory is */
	ret = fsync_dir(path);
	if (ret)
		snprintf(err, errlen, "%s: fsync of its directory: %s", path, strerror(-ret));
	return ret;
}

int fl_ctl_state_load(const char *path, struct fl_ctl_state *st, char *err, size_t errlen)
{
	char msg[512];
	size_t len;
	char *text = fl_read_file(path, &len);
	int ret;

	if (!text) {
		if (errno == ENOENT)
			return 1;
		ret = -errno;
		snprintf(err, errlen, "state file %s: cannot read it: %s", path, strerror(errno));
		return ret;
	}
	ret = fl_ctl_state_from_json(st, text, len, msg, sizeof(msg));
	free(text);
	if (ret)
		snprintf(err, errlen, "state file %s: %s", path, msg);
	return ret;
}
