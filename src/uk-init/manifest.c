#include "manifest.h"

#include "json/json.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define DEFAULT_GRACE_SECONDS 10

struct checker {
    char *error;
    size_t error_size;
};

static int complain(struct checker *c, const struct json_value *where, const char *format, ...)
{
    char what[200];
    va_list args;
    va_start(args, format);
    vsnprintf(what, sizeof what, format, args);
    va_end(args);
    if (where)
        snprintf(c->error, c->error_size, "line %d, column %d: %s", where->line, where->column, what);
    else
        snprintf(c->error, c->error_size, "%s", what);
    return -1;
}

static char *copy(struct checker *c, const char *s)
{
    char *d = strdup(s);
    if (!d)
        complain(c, NULL, "out of memory");
    return d;
}

static int want_type(struct checker *c, const struct json_value *v, enum json_type type, const char *field)
{
    if (v->type != type)
        return complain(c, v, "\"%s\" must be %s, not %s", field, json_type_name(type), json_type_name(v->type));
    return 0;
}

static int want_absolute_path(struct checker *c, const struct json_value *v, const char *field)
{
    if (want_type(c, v, JSON_STRING, field) < 0)
        return -1;
    if (v->string[0] != '/')
        return complain(c, v, "\"%s\" must be an absolute path, not \"%s\"", field, v->string);
    return 0;
}

static int read_argv(struct checker *c, const struct json_value *v, struct manifest *m)
{
    if (!v) {
        if (!(m->argv = calloc(2, sizeof *m->argv)) || !(m->argv[0] = copy(c, m->program)))
            return complain(c, NULL, "out of memory");
        return 0;
    }
    if (want_type(c, v, JSON_ARRAY, "argv") < 0)
        return -1;
    if (v->count == 0)
        return complain(c, v, "\"argv\" must hold at least argv[0]");
    if (!(m->argv = calloc(v->count + 1, sizeof *m->argv)))
        return complain(c, NULL, "out of memory");
    for (size_t i = 0; i < v->count; i++) {
        if (want_type(c, v->items[i], JSON_STRING, "argv[]") < 0)
            return -1;
        if (!(m->argv[i] = copy(c, v->items[i]->string)))
            return -1;
    }
    return 0;
}

static int has_key(char **envp, size_t n, const char *key)
{
    size_t k = strlen(key);
    for (size_t i = 0; i < n; i++)
        if (strncmp(envp[i], key, k) == 0 && envp[i][k] == '=')
            return 1;
    return 0;
}

static int read_env(struct checker *c, const struct json_value *v, struct manifest *m)
{
    size_t given = 0;
    if (v) {
        if (want_type(c, v, JSON_OBJECT, "env") < 0)
            return -1;
        given = v->count;
    }
    /* Two more for the PATH and HOME defaults, one for the terminator. */
    if (!(m->envp = calloc(given + 3, sizeof *m->envp)))
        return complain(c, NULL, "out of memory");
    size_t n = 0;
    for (size_t i = 0; i < given; i++) {
        const char *key = v->keys[i];
        const struct json_value *value = v->items[i];
        if (key[0] == '\0' || strchr(key, '='))
            return complain(c, value, "environment variable name \"%s\" must be non-empty and hold no '='", key);
        if (want_type(c, value, JSON_STRING, key) < 0)
            return -1;
        size_t size = strlen(key) + strlen(value->string) + 2;
        if (!(m->envp[n] = malloc(size)))
            return complain(c, NULL, "out of memory");
        snprintf(m->envp[n++], size, "%s=%s", key, value->string);
    }
    /* What a shell-less program still expects to find, as a container runtime gives it. */
    if (!has_key(m->envp, n, "PATH") && !(m->envp[n++] = copy(c, "PATH=" DEFAULT_PATH)))
        return -1;
    if (!has_key(m->envp, n, "HOME") && !(m->envp[n++] = copy(c, "HOME=/")))
        return -1;
    return 0;
}

static int read_mounts(struct checker *c, const struct json_value *v, struct manifest *m)
{
    if (!v)
        return 0;
    if (want_type(c, v, JSON_ARRAY, "mounts") < 0)
        return -1;
    if (!(m->mounts = calloc(v->count ? v->count : 1, sizeof *m->mounts)))
        return complain(c, NULL, "out of memory");
    for (size_t i = 0; i < v->count; i++) {
        const struct json_value *e = v->items[i];
        struct mount_entry *out = &m->mounts[i];
        m->mount_count = i + 1;
        if (want_type(c, e, JSON_OBJECT, "mounts[]") < 0)
            return -1;
        for (size_t k = 0; k < e->count; k++) {
            const char *key = e->keys[k];
            if (strcmp(key, "source") && strcmp(key, "target") && strcmp(key, "type") && strcmp(key, "options"))
                return complain(c, e->items[k], "unknown field \"%s\" in a mount (expected source, target, type, options)", key);
        }
        const struct json_value *source = json_member(e, "source");
        const struct json_value *target = json_member(e, "target");
        const struct json_value *type = json_member(e, "type");
        const struct json_value *options = json_member(e, "options");
        if (!target || !type)
            return complain(c, e, "a mount needs \"target\" and \"type\"");
        if (want_absolute_path(c, target, "target") < 0 || want_type(c, type, JSON_STRING, "type") < 0)
            return -1;
        if (source && want_type(c, source, JSON_STRING, "source") < 0)
            return -1;
        if (options && want_type(c, options, JSON_STRING, "options") < 0)
            return -1;
        if (!(out->target = copy(c, target->string)) || !(out->type = copy(c, type->string)) ||
            !(out->source = copy(c, source ? source->string : type->string)) ||
            !(out->options = copy(c, options ? options->string : "")))
            return -1;
    }
    return 0;
}

static const struct {
    const char *name;
    int resource;
} rlimit_names[] = {
    {"as", RLIMIT_AS},           {"core", RLIMIT_CORE},     {"cpu", RLIMIT_CPU},
    {"data", RLIMIT_DATA},       {"fsize", RLIMIT_FSIZE},   {"locks", RLIMIT_LOCKS},
    {"memlock", RLIMIT_MEMLOCK}, {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},
    {"nofile", RLIMIT_NOFILE},   {"nproc", RLIMIT_NPROC},   {"rss", RLIMIT_RSS},
    {"rtprio", RLIMIT_RTPRIO},   {"sigpending", RLIMIT_SIGPENDING}, {"stack", RLIMIT_STACK},
};

static int read_limit_value(struct checker *c, const struct json_value *v, rlim_t *out)
{
    if (v->type == JSON_STRING && strcmp(v->string, "unlimited") == 0) {
        *out = RLIM_INFINITY;
        return 0;
    }
    if (v->type != JSON_NUMBER || !v->is_integer || v->integer < 0)
        return complain(c, v, "a limit must be a non-negative integer or \"unlimited\"");
    *out = (rlim_t)v->integer;
    return 0;
}

static int read_rlimits(struct checker *c, const struct json_value *v, struct manifest *m)
{
    if (!v)
        return 0;
    if (want_type(c, v, JSON_OBJECT, "rlimits") < 0)
        return -1;
    if (!(m->rlimits = calloc(v->count ? v->count : 1, sizeof *m->rlimits)))
        return complain(c, NULL, "out of memory");
    for (size_t i = 0; i < v->count; i++) {
        const struct json_value *pair = v->items[i];
        struct rlimit_entry *out = &m->rlimits[i];
        size_t r = 0, known = sizeof rlimit_names / sizeof rlimit_names[0];
        while (r < known && strcmp(rlimit_names[r].name, v->keys[i]) != 0)
            r++;
        if (r == known)
            return complain(c, pair, "unknown resource limit \"%s\" (expected nofile, nproc, stack, core, memlock, ...)", v->keys[i]);
        if (pair->type != JSON_ARRAY || pair->count != 2)
            return complain(c, pair, "limit \"%s\" must be [soft, hard]", v->keys[i]);
        out->resource = rlimit_names[r].resource;
        if (read_limit_value(c, pair->items[0], &out->limit.rlim_cur) < 0 ||
            read_limit_value(c, pair->items[1], &out->limit.rlim_max) < 0)
            return -1;
        if (out->limit.rlim_cur > out->limit.rlim_max)
            return complain(c, pair, "limit \"%s\": the soft value is above the hard one", v->keys[i]);
        m->rlimit_count = i + 1;
    }
    return 0;
}

static const char *const known_fields[] = {
    "version", "program", "argv", "env", "cwd", "hostname", "readonly_root", "writable_root_mib", "mounts", "rlimits",
    "stop_grace_seconds", "uid", "gid",
};

static int check(struct checker *c, const struct json_value *root, struct manifest *m)
{
    if (want_type(c, root, JSON_OBJECT, "the manifest") < 0)
        return -1;
    for (size_t i = 0; i < root->count; i++) {
        size_t k = 0, n = sizeof known_fields / sizeof known_fields[0];
        while (k < n && strcmp(known_fields[k], root->keys[i]) != 0)
            k++;
        if (k == n)
            return complain(c, root->items[i], "unknown field \"%s\"", root->keys[i]);
    }

    const struct json_value *version = json_member(root, "version");
    if (!version)
        return complain(c, root, "\"version\" is missing");
    if (version->type != JSON_NUMBER || !version->is_integer || version->integer != MANIFEST_VERSION)
        return complain(c, version, "unsupported manifest version (this uk-init reads version %d)", MANIFEST_VERSION);

    const struct json_value *program = json_member(root, "program");
    if (!program)
        return complain(c, root, "\"program\" is missing");
    if (want_absolute_path(c, program, "program") < 0 || !(m->program = copy(c, program->string)))
        return -1;

    const struct json_value *cwd = json_member(root, "cwd");
    if (cwd && want_absolute_path(c, cwd, "cwd") < 0)
        return -1;
    if (!(m->cwd = copy(c, cwd ? cwd->string : "/")))
        return -1;

    const struct json_value *hostname = json_member(root, "hostname");
    if (hostname) {
        if (want_type(c, hostname, JSON_STRING, "hostname") < 0)
            return -1;
        size_t n = strlen(hostname->string);
        if (n == 0 || n > 64)
            return complain(c, hostname, "\"hostname\" must be 1 to 64 characters");
    }
    if (!(m->hostname = copy(c, hostname ? hostname->string : "uk")))
        return -1;

    const struct json_value *readonly_root = json_member(root, "readonly_root");
    if (readonly_root) {
        if (want_type(c, readonly_root, JSON_BOOL, "readonly_root") < 0)
            return -1;
        m->readonly_root = readonly_root->boolean;
    }

    const struct json_value *writable = json_member(root, "writable_root_mib");
    if (writable) {
        if (writable->type != JSON_NUMBER || !writable->is_integer || writable->integer < 1 || writable->integer > 1048576)
            return complain(c, writable, "\"writable_root_mib\" must be an integer from 1 to 1048576");
        m->writable_root_mib = (unsigned)writable->integer;
    }

    const struct json_value *grace = json_member(root, "stop_grace_seconds");
    m->stop_grace_seconds = DEFAULT_GRACE_SECONDS;
    if (grace) {
        if (grace->type != JSON_NUMBER || !grace->is_integer || grace->integer < 0 || grace->integer > 86400)
            return complain(c, grace, "\"stop_grace_seconds\" must be an integer from 0 to 86400");
        m->stop_grace_seconds = (unsigned)grace->integer;
    }

    const char *const ids[] = {"uid", "gid"};
    unsigned *targets[] = {&m->uid, &m->gid};
    for (size_t i = 0; i < 2; i++) {
        const struct json_value *id = json_member(root, ids[i]);
        if (!id)
            continue;
        if (id->type != JSON_NUMBER || !id->is_integer || id->integer < 0 || id->integer > 4294967294LL)
            return complain(c, id, "\"%s\" must be an integer from 0 to 4294967294", ids[i]);
        *targets[i] = (unsigned)id->integer;
    }

    if (read_argv(c, json_member(root, "argv"), m) < 0 || read_env(c, json_member(root, "env"), m) < 0 ||
        read_mounts(c, json_member(root, "mounts"), m) < 0 || read_rlimits(c, json_member(root, "rlimits"), m) < 0)
        return -1;
    return 0;
}

int manifest_parse(const char *text, size_t length, struct manifest *out, char *error, size_t error_size)
{
    struct checker c = {error, error_size};
    struct json_error json_error;
    memset(out, 0, sizeof *out);
    struct json_value *root = json_parse(text, length, &json_error);
    if (!root) {
        snprintf(error, error_size, "line %d, column %d: %s", json_error.line, json_error.column, json_error.message);
        return -1;
    }
    int result = check(&c, root, out);
    json_free(root);
    if (result < 0)
        manifest_free(out);
    return result;
}

int manifest_load(const char *path, struct manifest *out, char *error, size_t error_size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(error, error_size, "cannot open it: %s", strerror(errno));
        return -1;
    }
    char *text = malloc(MAX_MANIFEST_BYTES);
    if (!text) {
        close(fd);
        snprintf(error, error_size, "out of memory");
        return -1;
    }
    size_t length = 0;
    ssize_t n;
    while (length < MAX_MANIFEST_BYTES && (n = read(fd, text + length, MAX_MANIFEST_BYTES - length)) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            snprintf(error, error_size, "cannot read it: %s", strerror(errno));
            close(fd);
            free(text);
            return -1;
        }
        length += (size_t)n;
    }
    close(fd);
    if (length == MAX_MANIFEST_BYTES) {
        snprintf(error, error_size, "larger than %d bytes", MAX_MANIFEST_BYTES);
        free(text);
        return -1;
    }
    int result = manifest_parse(text, length, out, error, error_size);
    free(text);
    return result;
}

static void free_strings(char **list)
{
    if (!list)
        return;
    for (char **s = list; *s; s++)
        free(*s);
    free(list);
}

void manifest_free(struct manifest *m)
{
    free(m->program);
    free_strings(m->argv);
    free_strings(m->envp);
    free(m->cwd);
    free(m->hostname);
    for (size_t i = 0; i < m->mount_count; i++) {
        free(m->mounts[i].source);
        free(m->mounts[i].target);
        free(m->mounts[i].type);
        free(m->mounts[i].options);
    }
    free(m->mounts);
    free(m->rlimits);
    memset(m, 0, sizeof *m);
}
