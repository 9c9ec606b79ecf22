/* A small strict JSON reader (RFC 8259, UTF-8 input), in C so that both halves of uk use
 * it: uk-init, a static musl program of a few tens of KiB that cannot carry a C++ JSON
 * library, reads its manifest with it, and uk reads config files with it (through
 * json_document.hpp) because it remembers where every key and value starts, so errors
 * can say "line L, column C". A key that appears twice in an object is an error. A lone
 * low surrogate \uDC80-\uDCFF stands for the byte 0x80-0xFF that is not UTF-8: that is
 * how uk writes arguments, environment and file names, which are bytes. */
#ifndef UK_JSON_H
#define UK_JSON_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json_value {
    enum json_type type;
    int line;
    int column;
    int boolean;
    /* Numbers: uk-init only needs integers, so only those are kept (is_integer set when
     * the number is written without fraction or exponent and fits in a long long). */
    int is_integer;
    long long integer;
    /* Strings: NUL-terminated; strings holding \u0000 are rejected by the parser. */
    char *string;
    /* Arrays use items; objects use keys and items side by side, in document order, and
     * key_lines/key_columns say where each key starts. */
    size_t count;
    struct json_value **items;
    char **keys;
    int *key_lines;
    int *key_columns;
};

struct json_error {
    int line;
    int column;
    char message[160];
};

/* Parses text (length bytes). On failure returns NULL and fills *error. */
struct json_value *json_parse(const char *text, size_t length, struct json_error *error);

/* The member named key of an object, or NULL. */
const struct json_value *json_member(const struct json_value *object, const char *key);

const char *json_type_name(enum json_type type);

void json_free(struct json_value *value);

#ifdef __cplusplus
}
#endif

#endif
