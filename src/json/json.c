#include "json/json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Deep documents are not something uk writes; the limit keeps recursion bounded. */
#define MAX_DEPTH 32

struct parser {
    const char *text;
    size_t length;
    size_t pos;
    int line;
    int column;
    int depth;
    struct json_error *error;
};

static int fail(struct parser *p, const char *format, ...)
{
    va_list args;
    p->error->line = p->line;
    p->error->column = p->column;
    va_start(args, format);
    vsnprintf(p->error->message, sizeof p->error->message, format, args);
    va_end(args);
    return -1;
}

static int at_end(const struct parser *p) { return p->pos >= p->length; }

static char peek(const struct parser *p) { return at_end(p) ? '\0' : p->text[p->pos]; }

static char advance(struct parser *p)
{
    char c = p->text[p->pos++];
    if (c == '\n') {
        p->line++;
        p->column = 1;
    } else {
        p->column++;
    }
    return c;
}

static void skip_space(struct parser *p)
{
    while (!at_end(p)) {
        char c = peek(p);
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            return;
        advance(p);
    }
}

static struct json_value *new_value(struct parser *p, enum json_type type)
{
    struct json_value *v = calloc(1, sizeof *v);
    if (!v) {
        fail(p, "out of memory");
        return NULL;
    }
    v->type = type;
    v->line = p->line;
    v->column = p->column;
    return v;
}

static int append(struct parser *p, struct json_value *container, char *key, int key_line, int key_column,
                  struct json_value *item)
{
    size_t n = container->count + 1;
    struct json_value **items = realloc(container->items, n * sizeof *items);
    if (!items)
        return fail(p, "out of memory");
    container->items = items;
    if (container->type == JSON_OBJECT) {
        char **keys = realloc(container->keys, n * sizeof *keys);
        if (keys)
            container->keys = keys;
        int *lines = realloc(container->key_lines, n * sizeof *lines);
        if (lines)
            container->key_lines = lines;
        int *columns = realloc(container->key_columns, n * sizeof *columns);
        if (columns)
            container->key_columns = columns;
        if (!keys || !lines || !columns)
            return fail(p, "out of memory");
        keys[n - 1] = key;
        lines[n - 1] = key_line;
        columns[n - 1] = key_column;
    }
    items[n - 1] = item;
    container->count = n;
    return 0;
}

static int expect_word(struct parser *p, const char *word)
{
    size_t n = strlen(word);
    if (p->length - p->pos < n || memcmp(p->text + p->pos, word, n) != 0)
        return fail(p, "expected a JSON value");
    for (size_t i = 0; i < n; i++)
        advance(p);
    return 0;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int read_hex4(struct parser *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int d = at_end(p) ? -1 : hex_digit(peek(p));
        if (d < 0)
            return fail(p, "expected four hex digits after \\u");
        v = v * 16 + (unsigned)d;
        advance(p);
    }
    *out = v;
    return 0;
}

static size_t encode_utf8(unsigned cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

static int read_escape(struct parser *p, char *out, size_t *written)
{
    char c = advance(p);
    const char *simple = "\"\"\\\\//b\bf\fn\nr\rt\t";
    for (const char *s = simple; *s; s += 2) {
        if (c == s[0]) {
            out[0] = s[1];
            *written = 1;
            return 0;
        }
    }
    if (c != 'u')
        return fail(p, "unknown escape '\\%c' in string", c);
    unsigned cp;
    if (read_hex4(p, &cp) < 0)
        return -1;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        unsigned low;
        if (peek(p) != '\\')
            return fail(p, "lone UTF-16 surrogate in string");
        advance(p);
        if (at_end(p) || advance(p) != 'u' || read_hex4(p, &low) < 0 || low < 0xDC00 || low > 0xDFFF)
            return fail(p, "lone UTF-16 surrogate in string");
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    } else if (cp >= 0xDC80 && cp <= 0xDCFF) {
        /* A byte that is not UTF-8, as uk writes it (Python's "surrogateescape"):
         * arguments, environment and file names are bytes on Linux. */
        out[0] = (char)(cp - 0xDC00);
        *written = 1;
        return 0;
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
        return fail(p, "lone UTF-16 surrogate in string");
    }
    if (cp == 0)
        return fail(p, "\\u0000 is not allowed in strings");
    *written = encode_utf8(cp, out);
    return 0;
}

static char *read_string(struct parser *p)
{
    /* The decoded string is never longer than its source text. */
    size_t start = p->pos;
    size_t end = start + 1;
    while (end < p->length && p->text[end] != '"')
        end += p->text[end] == '\\' ? 2 : 1;
    char *out = malloc(end - start + 1);
    if (!out) {
        fail(p, "out of memory");
        return NULL;
    }
    size_t n = 0;
    advance(p); /* opening quote */
    for (;;) {
        if (at_end(p)) {
            fail(p, "unterminated string");
            break;
        }
        unsigned char c = (unsigned char)peek(p);
        if (c == '"') {
            advance(p);
            out[n] = '\0';
            return out;
        }
        if (c < 0x20) {
            fail(p, "control character in string (escape it)");
            break;
        }
        if (c == '\\') {
            advance(p);
            if (at_end(p)) {
                fail(p, "unterminated string");
                break;
            }
            size_t written = 0;
            if (read_escape(p, out + n, &written) < 0)
                break;
            n += written;
        } else {
            out[n++] = advance(p);
        }
    }
    free(out);
    return NULL;
}

static struct json_value *parse_value(struct parser *p);

static struct json_value *parse_number(struct parser *p)
{
    struct json_value *v = new_value(p, JSON_NUMBER);
    if (!v)
        return NULL;
    size_t start = p->pos;
    int integral = 1;
    if (peek(p) == '-')
        advance(p);
    if (peek(p) == '0') {
        advance(p);
    } else if (peek(p) >= '1' && peek(p) <= '9') {
        while (peek(p) >= '0' && peek(p) <= '9')
            advance(p);
    } else {
        fail(p, "expected a digit");
        goto error;
    }
    if (peek(p) == '.') {
        integral = 0;
        advance(p);
        if (!(peek(p) >= '0' && peek(p) <= '9')) {
            fail(p, "expected a digit after '.'");
            goto error;
        }
        while (peek(p) >= '0' && peek(p) <= '9')
            advance(p);
    }
    if (peek(p) == 'e' || peek(p) == 'E') {
        integral = 0;
        advance(p);
        if (peek(p) == '+' || peek(p) == '-')
            advance(p);
        if (!(peek(p) >= '0' && peek(p) <= '9')) {
            fail(p, "expected a digit in the exponent");
            goto error;
        }
        while (peek(p) >= '0' && peek(p) <= '9')
            advance(p);
    }
    if (integral) {
        const char *digits = p->text + start;
        int negative = *digits == '-';
        unsigned long long magnitude = 0, limit = negative ? 9223372036854775808ULL : 9223372036854775807ULL;
        v->is_integer = 1;
        for (const char *d = digits + negative; d < p->text + p->pos; d++) {
            unsigned digit = (unsigned)(*d - '0');
            if (magnitude > (limit - digit) / 10) {
                v->is_integer = 0; /* valid JSON, but too large for us */
                break;
            }
            magnitude = magnitude * 10 + digit;
        }
        if (v->is_integer)
            v->integer = negative ? (long long)(0 - magnitude) : (long long)magnitude;
    }
    return v;
error:
    free(v);
    return NULL;
}

static struct json_value *parse_container(struct parser *p, enum json_type type)
{
    char close = type == JSON_ARRAY ? ']' : '}';
    struct json_value *v = new_value(p, type);
    if (!v)
        return NULL;
    if (++p->depth > MAX_DEPTH) {
        fail(p, "nested too deeply");
        goto error;
    }
    advance(p); /* [ or { */
    skip_space(p);
    if (peek(p) == close) {
        advance(p);
        p->depth--;
        return v;
    }
    for (;;) {
        char *key = NULL;
        int key_line = 0, key_column = 0;
        skip_space(p);
        if (type == JSON_OBJECT) {
            if (peek(p) != '"') {
                fail(p, "expected a field name in double quotes");
                goto error;
            }
            key_line = p->line;
            key_column = p->column;
            if (!(key = read_string(p)))
                goto error;
            if (json_member(v, key)) {
                p->line = key_line;
                p->column = key_column;
                fail(p, "field \"%s\" appears twice", key);
                free(key);
                goto error;
            }
            skip_space(p);
            if (peek(p) != ':') {
                free(key);
                fail(p, "expected ':' after the field name");
                goto error;
            }
            advance(p);
        }
        struct json_value *item = parse_value(p);
        if (!item) {
            free(key);
            goto error;
        }
        if (append(p, v, key, key_line, key_column, item) < 0) {
            free(key);
            json_free(item);
            goto error;
        }
        skip_space(p);
        if (peek(p) == ',') {
            advance(p);
            continue;
        }
        if (peek(p) == close) {
            advance(p);
            p->depth--;
            return v;
        }
        fail(p, type == JSON_ARRAY ? "expected ',' or ']'" : "expected ',' or '}'");
        goto error;
    }
error:
    json_free(v);
    return NULL;
}

static struct json_value *parse_value(struct parser *p)
{
    skip_space(p);
    if (at_end(p)) {
        fail(p, "unexpected end of input");
        return NULL;
    }
    char c = peek(p);
    struct json_value *v;
    switch (c) {
    case '{':
        return parse_container(p, JSON_OBJECT);
    case '[':
        return parse_container(p, JSON_ARRAY);
    case '"':
        if (!(v = new_value(p, JSON_STRING)))
            return NULL;
        if (!(v->string = read_string(p))) {
            free(v);
            return NULL;
        }
        return v;
    case 't':
    case 'f':
    case 'n':
        if (!(v = new_value(p, c == 'n' ? JSON_NULL : JSON_BOOL)))
            return NULL;
        v->boolean = c == 't';
        if (expect_word(p, c == 't' ? "true" : c == 'f' ? "false" : "null") < 0) {
            free(v);
            return NULL;
        }
        return v;
    default:
        if (c == '-' || (c >= '0' && c <= '9'))
            return parse_number(p);
        fail(p, "expected a JSON value");
        return NULL;
    }
}

struct json_value *json_parse(const char *text, size_t length, struct json_error *error)
{
    struct parser p = {text, length, 0, 1, 1, 0, error};
    if (memchr(text, '\0', length)) {
        error->line = 1;
        error->column = 1;
        snprintf(error->message, sizeof error->message, "NUL byte in the document");
        return NULL;
    }
    struct json_value *root = parse_value(&p);
    if (!root)
        return NULL;
    skip_space(&p);
    if (!at_end(&p)) {
        fail(&p, "unexpected text after the JSON value");
        json_free(root);
        return NULL;
    }
    return root;
}

const struct json_value *json_member(const struct json_value *object, const char *key)
{
    if (!object || object->type != JSON_OBJECT)
        return NULL;
    for (size_t i = 0; i < object->count; i++)
        if (strcmp(object->keys[i], key) == 0)
            return object->items[i];
    return NULL;
}

const char *json_type_name(enum json_type type)
{
    static const char *const names[] = {"null", "a boolean", "a number", "a string", "an array", "an object"};
    return names[type];
}

void json_free(struct json_value *value)
{
    if (!value)
        return;
    for (size_t i = 0; i < value->count; i++) {
        json_free(value->items[i]);
        if (value->keys)
            free(value->keys[i]);
    }
    free(value->items);
    free(value->keys);
    free(value->key_lines);
    free(value->key_columns);
    free(value->string);
    free(value);
}
