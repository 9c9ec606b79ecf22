/* The image manifest, /etc/uk/manifest.json: what uk-init sets up and starts.
 * docs/guest.md describes the format; uk's image module writes it. */
#ifndef UK_INIT_MANIFEST_H
#define UK_INIT_MANIFEST_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>
#include <sys/resource.h>

#define MANIFEST_PATH "/etc/uk/manifest.json"
/* Manifests are a few KiB; anything this large was not written by uk (which refuses to
 * write one: image/manifest.hpp). */
#define MAX_MANIFEST_BYTES (1024 * 1024)
#define MANIFEST_VERSION 1

struct mount_entry {
    char *source;
    char *target;
    char *type;
    char *options; /* comma-separated, as mount(8) takes them; may be empty */
};

struct rlimit_entry {
    int resource;
    struct rlimit limit;
};

struct manifest {
    char *program;
    char **argv; /* NULL-terminated; argv[0] included */
    char **envp; /* NULL-terminated KEY=VALUE strings */
    char *cwd;
    char *hostname;
    int readonly_root;
    unsigned writable_root_mib; /* 0: tmpfs's default, half the memory */
    struct mount_entry *mounts;
    size_t mount_count;
    struct rlimit_entry *rlimits;
    size_t rlimit_count;
    unsigned stop_grace_seconds;
    /* Who the program runs as; root (0) unless the manifest says. */
    unsigned uid;
    unsigned gid;
};

/* Reads and checks a manifest from text. On failure returns -1 and writes one line
 * saying what is wrong and where into error. */
int manifest_parse(const char *text, size_t length, struct manifest *out, char *error, size_t error_size);

/* The same, from a file. */
int manifest_load(const char *path, struct manifest *out, char *error, size_t error_size);

void manifest_free(struct manifest *manifest);

#ifdef __cplusplus
}
#endif

#endif
