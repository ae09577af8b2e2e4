/* loglens's native ingest path: OTLP protobuf -> PostgreSQL binary COPY rows, and row tuples -> COPY.
 *
 * decode_otlp() walks an ExportLogsServiceRequest's wire format once and writes the binary COPY
 * tuples of the rows collector/mapping/otlp.py would produce (with collector/rows.py's and
 * collector/storage/copy.py's encodings), the records it refuses with the same reasons, and the
 * rows the writer would refuse (rows.problem_with).  Anything it does not handle (array or kvlist
 * values, rare fields, malformed or surprising input) returns None: the caller then runs the
 * Python path, which stays the reference (tests/collector/test_native_fuzz.py holds the two to
 * each other).
 *
 * encode_rows() encodes row tuples (the JSON and forward paths, the Python fallback) as binary
 * COPY tuples, byte for byte what asyncpg sends with the codecs of storage/copy.py; None when a
 * row holds a value of a type it does not expect (then asyncpg encodes them, as before).
 *
 * Memory rule: the output buffer is reallocated as it grows, so nothing keeps a pointer into it;
 * positions in it are offsets.  Values point into the request body (alive for the whole call),
 * into static strings, or into arenas whose blocks never move.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#ifndef LOGLENS_NATIVE_SOURCE_HASH
#define LOGLENS_NATIVE_SOURCE_HASH "unknown"
#endif

#define NCOLS 20
#define PG_EPOCH_US 946684800000000LL
#define DAY_US 86400000000LL
#define MIN_PLAUSIBLE_US 946684800000000LL
#define MAX_FUTURE_US (24LL * 3600 * 1000000)
#define MAX_DURATION_THOUSANDTHS 9999999999LL
#define MAX_ENTRIES 128 /* a metadata object with more keys goes down the Python path */
#define MAX_DAYS 64

/* Outcome of a step: OK, not handled (Python path), or a Python error set. */
enum { OK = 0, UNHANDLED = 1, ERR = 2 };
#define TRY(call)                  \
    do {                           \
        int rc_ = (call);          \
        if (rc_ != OK) return rc_; \
    } while (0)

/* ---------------------------------------------------------------- module state (callbacks) */

static PyObject *cb_level_from_text, *cb_environment_from_text, *cb_duration_thousandths, *cb_dumps;

/* ---------------------------------------------------------------- growable output buffer */

typedef struct {
    char *p;
    size_t len, cap;
} Buf;

static int buf_reserve(Buf *b, size_t more) {
    if (b->len + more <= b->cap) return OK;
    if (more > ((size_t)1 << 40)) return UNHANDLED;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + more) cap *= 2;
    char *p = PyMem_Realloc(b->p, cap);
    if (!p) {
        PyErr_NoMemory();
        return ERR;
    }
    b->p = p;
    b->cap = cap;
    return OK;
}

static int buf_put(Buf *b, const void *s, size_t n) {
    TRY(buf_reserve(b, n));
    if (n) memcpy(b->p + b->len, s, n);
    b->len += n;
    return OK;
}

static int buf_byte(Buf *b, char c) { return buf_put(b, &c, 1); }

static int buf_be16(Buf *b, int16_t v) {
    uint16_t u = (uint16_t)v;
    char s[2] = {(char)(u >> 8), (char)u};
    return buf_put(b, s, 2);
}

static int buf_be32(Buf *b, int32_t v) {
    uint32_t u = (uint32_t)v;
    char s[4] = {(char)(u >> 24), (char)(u >> 16), (char)(u >> 8), (char)u};
    return buf_put(b, s, 4);
}

static int buf_be64(Buf *b, int64_t v) {
    uint64_t u = (uint64_t)v;
    char s[8];
    for (int i = 0; i < 8; i++) s[i] = (char)(u >> (56 - 8 * i));
    return buf_put(b, s, 8);
}

static void buf_free(Buf *b) {
    PyMem_Free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* ---------------------------------------------------------------- arena: blocks never move */

typedef struct Block {
    struct Block *next;
    size_t cap, used;
    char data[];
} Block;

typedef struct {
    Block *head;
} Arena;

static char *arena_alloc(Arena *a, size_t n) {
    if (!a->head || a->head->cap - a->head->used < n) {
        size_t cap = n > 16384 ? n : 16384;
        Block *block = PyMem_Malloc(sizeof(Block) + cap);
        if (!block) {
            PyErr_NoMemory();
            return NULL;
        }
        block->next = a->head;
        block->cap = cap;
        block->used = 0;
        a->head = block;
    }
    char *p = a->head->data + a->head->used;
    a->head->used += n;
    return p;
}

static void arena_free(Arena *a) {
    while (a->head) {
        Block *next = a->head->next;
        PyMem_Free(a->head);
        a->head = next;
    }
}

/* Keep the newest block, emptied, for the next record. */
static void arena_reset(Arena *a) {
    if (!a->head) return;
    Block *keep = a->head;
    a->head = keep->next;
    arena_free(a);
    keep->next = NULL;
    keep->used = 0;
    a->head = keep;
}

/* ---------------------------------------------------------------- values */

enum { V_NONE = 0, V_STR, V_BOOL, V_INT, V_DOUBLE, V_BYTES };

typedef struct {
    int kind;
    const char *s; /* V_STR, V_BYTES */
    size_t n;
    int64_t i; /* V_INT, V_BOOL */
    double d;  /* V_DOUBLE */
} Val;

static Val str_val(const char *s, size_t n) {
    Val v = {V_STR, s, n, 0, 0.0};
    return v;
}

static Val cstr_val(const char *s) { return str_val(s, strlen(s)); }

static int is_ascii(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] >= 0x80) return 0;
    return 1;
}

static size_t utf8_chars(const char *s, size_t n) {
    size_t chars = 0;
    for (size_t i = 0; i < n; i++) chars += ((unsigned char)s[i] & 0xC0) != 0x80;
    return chars;
}

/* Whether the text holds the six characters \u0000 (orjson's escape of a NUL). */
static int has_nul_escape(const char *s, size_t n) {
    for (size_t i = 0; i + 6 <= n; i++)
        if (s[i] == '\\' && memcmp(s + i, "\\u0000", 6) == 0) return 1;
    return 0;
}

/* Strict UTF-8 (no overlongs, surrogates or code points past U+10FFFF): what protobuf's runtime
 * and Python's bytes.decode("utf-8") accept. */
static int utf8_valid(const unsigned char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        unsigned char lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            if (c == 0xE0) lo = 0xA0;
            if (c == 0xED) hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            if (c == 0xF0) lo = 0x90;
            if (c == 0xF4) hi = 0x8F;
        } else {
            return 0;
        }
        if (n - i - 1 < need) return 0;
        if (s[i + 1] < lo || s[i + 1] > hi) return 0;
        for (size_t k = 2; k <= need; k++)
            if ((s[i + k] & 0xC0) != 0x80) return 0;
        i += need + 1;
    }
    return 1;
}

/* Text of an int64, as str(int) writes it. */
static int int_text(Arena *a, int64_t v, Val *out) {
    char tmp[24];
    int n = snprintf(tmp, sizeof tmp, "%lld", (long long)v);
    char *p = arena_alloc(a, (size_t)n);
    if (!p) return ERR;
    memcpy(p, tmp, (size_t)n);
    *out = str_val(p, (size_t)n);
    return OK;
}

/* Text of a double, as str(float) writes it ("1.5", "1e+20", "inf", "nan"). */
static int double_text(Arena *a, double d, Val *out) {
    char *r = PyOS_double_to_string(d, 'r', 0, Py_DTSF_ADD_DOT_0, NULL);
    if (!r) return ERR;
    size_t n = strlen(r);
    char *p = arena_alloc(a, n);
    if (!p) {
        PyMem_Free(r);
        return ERR;
    }
    memcpy(p, r, n);
    PyMem_Free(r);
    *out = str_val(p, n);
    return OK;
}

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int base64_text(Arena *a, const unsigned char *s, size_t n, Val *out) {
    size_t len = (n + 2) / 3 * 4;
    char *p = arena_alloc(a, len ? len : 1);
    if (!p) return ERR;
    size_t o = 0, i = 0;
    for (; i + 2 < n; i += 3) {
        uint32_t w = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
        p[o++] = B64[w >> 18];
        p[o++] = B64[(w >> 12) & 63];
        p[o++] = B64[(w >> 6) & 63];
        p[o++] = B64[w & 63];
    }
    if (n - i == 1) {
        uint32_t w = (uint32_t)s[i] << 16;
        p[o++] = B64[w >> 18];
        p[o++] = B64[(w >> 12) & 63];
        p[o++] = '=';
        p[o++] = '=';
    } else if (n - i == 2) {
        uint32_t w = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8;
        p[o++] = B64[w >> 18];
        p[o++] = B64[(w >> 12) & 63];
        p[o++] = B64[(w >> 6) & 63];
        p[o++] = '=';
    }
    *out = str_val(p, len);
    return OK;
}

/* otlp.any_value for the kinds handled here: bytes become their base64 text, a non-finite double
 * the text str() gives it; both are str values from then on. */
static int normalize(Arena *a, Val *v) {
    if (v->kind == V_BYTES) return base64_text(a, (const unsigned char *)v->s, v->n, v);
    if (v->kind == V_DOUBLE && !isfinite(v->d)) {
        *v = cstr_val(isnan(v->d) ? "nan" : v->d > 0 ? "inf" : "-inf");
    }
    return OK;
}

/* otlp._text: the str of a non-str value (None stays None). */
static int to_text(Arena *a, Val *v) {
    switch (v->kind) {
        case V_INT:
            return int_text(a, v->i, v);
        case V_BOOL:
            *v = cstr_val(v->i ? "True" : "False");
            return OK;
        case V_DOUBLE:
            return double_text(a, v->d, v);
        default:
            return OK;
    }
}

/* ---------------------------------------------------------------- Python callbacks */

/* A str method or function applied to a UTF-8 text; the result's UTF-8 copied into the arena.
 * *out is V_NONE when the result is None. */
static int call_text(Arena *a, PyObject *func, const char *method, const char *s, size_t n, Val *out) {
    PyObject *text = PyUnicode_DecodeUTF8(s, (Py_ssize_t)n, "strict");
    if (!text) return ERR;
    PyObject *result =
        func ? PyObject_CallOneArg(func, text) : PyObject_CallMethod(text, method, NULL);
    Py_DECREF(text);
    if (!result) return ERR;
    if (result == Py_None) {
        Py_DECREF(result);
        out->kind = V_NONE;
        return OK;
    }
    if (!PyUnicode_CheckExact(result)) {
        Py_DECREF(result);
        return UNHANDLED;
    }
    Py_ssize_t len;
    const char *utf8 = PyUnicode_AsUTF8AndSize(result, &len);
    if (!utf8) {
        Py_DECREF(result);
        PyErr_Clear();
        return UNHANDLED;
    }
    char *p = arena_alloc(a, (size_t)len + 1);
    if (!p) {
        Py_DECREF(result);
        return ERR;
    }
    memcpy(p, utf8, (size_t)len);
    Py_DECREF(result);
    *out = str_val(p, (size_t)len);
    return OK;
}

static int text_eq(const Val *v, const char *s) {
    size_t n = strlen(s);
    return v->kind == V_STR && v->n == n && memcmp(v->s, s, n) == 0;
}

static const char *const LEVELS[] = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"};
static const char *const LOG_TYPES[] = {"BACKEND", "FRONTEND", "MOBILE", "IOT", "WORKER"};
static const char *const ENVIRONMENTS[] = {"production", "staging", "development", "test", "local"};
static const char *const METHODS[] = {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"};

/* The static label equal to v, or NULL. */
static const char *label_of(const Val *v, const char *const *labels, size_t count) {
    for (size_t i = 0; i < count; i++)
        if (text_eq(v, labels[i])) return labels[i];
    return NULL;
}

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

/* A label after an ASCII case change, or after Python's for non-ASCII text (str.upper of
 * "poſt" is "POST"). *label is NULL when the changed text is none of them. */
static int changed_label(Arena *a, const Val *v, int upper, const char *const *labels, size_t count,
                         const char **label) {
    Val changed;
    if (is_ascii(v->s, v->n)) {
        char *p = arena_alloc(a, v->n + 1);
        if (!p) return ERR;
        for (size_t i = 0; i < v->n; i++) {
            char c = v->s[i];
            if (upper && c >= 'a' && c <= 'z') c = (char)(c - 32);
            if (!upper && c >= 'A' && c <= 'Z') c = (char)(c + 32);
            p[i] = c;
        }
        changed = str_val(p, v->n);
    } else {
        TRY(call_text(a, NULL, upper ? "upper" : "lower", v->s, v->n, &changed));
    }
    *label = label_of(&changed, labels, count);
    return OK;
}

/* rows.level_from_text / rows.environment_from_text, by calling them: a static label or NULL. */
static int python_label(Arena *a, PyObject *func, const Val *v, const char *const *labels, size_t count,
                        const char **label) {
    Val result;
    TRY(call_text(a, func, NULL, v->s, v->n, &result));
    if (result.kind == V_NONE) {
        *label = NULL;
        return OK;
    }
    *label = label_of(&result, labels, count);
    return *label ? OK : UNHANDLED;
}

/* rows.duration_thousandths: numbers here, a string by calling it (float() of a string has many
 * spellings).  *ok is 0 when it gives None. */
static int duration_of(const Val *v, int64_t *thousandths, int *ok) {
    *ok = 0;
    double number;
    if (v->kind == V_INT) {
        number = (double)v->i;
    } else if (v->kind == V_DOUBLE) {
        number = v->d;
    } else if (v->kind == V_STR) {
        PyObject *text = PyUnicode_DecodeUTF8(v->s, (Py_ssize_t)v->n, "strict");
        if (!text) return ERR;
        PyObject *result = PyObject_CallOneArg(cb_duration_thousandths, text);
        Py_DECREF(text);
        if (!result) return ERR;
        if (result != Py_None) {
            if (!PyLong_CheckExact(result)) {
                Py_DECREF(result);
                return UNHANDLED;
            }
            *thousandths = PyLong_AsLongLong(result);
            Py_DECREF(result);
            if (PyErr_Occurred()) {
                PyErr_Clear();
                return UNHANDLED;
            }
            *ok = 1;
            return OK;
        }
        Py_DECREF(result);
        return OK;
    } else {
        return OK; /* bool, None */
    }
    number *= 1000;
    if (!isfinite(number)) return OK;
    double rounded = nearbyint(number); /* round half to even, as round() */
    if (fabs(rounded) > (double)MAX_DURATION_THOUSANDTHS) return OK;
    *thousandths = (int64_t)rounded;
    *ok = 1;
    return OK;
}

/* ---------------------------------------------------------------- JSON (as orjson writes it) */

static int json_string(Buf *b, const char *s, size_t n) {
    static const char hex[] = "0123456789abcdef";
    TRY(buf_reserve(b, n * 6 + 2));
    char *o = b->p + b->len;
    *o++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            *o++ = '\\';
            *o++ = (char)c;
        } else if (c >= 0x20) {
            *o++ = (char)c;
        } else {
            *o++ = '\\';
            switch (c) {
                case '\b': *o++ = 'b'; break;
                case '\t': *o++ = 't'; break;
                case '\n': *o++ = 'n'; break;
                case '\f': *o++ = 'f'; break;
                case '\r': *o++ = 'r'; break;
                default:
                    *o++ = 'u';
                    *o++ = '0';
                    *o++ = '0';
                    *o++ = hex[c >> 4];
                    *o++ = hex[c & 15];
            }
        }
    }
    *o++ = '"';
    b->len = (size_t)(o - b->p);
    return OK;
}

static int json_double(Buf *b, double d) {
    PyObject *number = PyFloat_FromDouble(d);
    if (!number) return ERR;
    PyObject *dumped = PyObject_CallOneArg(cb_dumps, number);
    Py_DECREF(number);
    if (!dumped) return ERR;
    if (!PyBytes_Check(dumped)) {
        Py_DECREF(dumped);
        return UNHANDLED;
    }
    int rc = buf_put(b, PyBytes_AS_STRING(dumped), (size_t)PyBytes_GET_SIZE(dumped));
    Py_DECREF(dumped);
    return rc;
}

static int json_value(Buf *b, const Val *v) {
    char tmp[24];
    switch (v->kind) {
        case V_NONE:
            return buf_put(b, "null", 4);
        case V_STR:
            return json_string(b, v->s, v->n);
        case V_BOOL:
            return v->i ? buf_put(b, "true", 4) : buf_put(b, "false", 5);
        case V_INT: {
            int n = snprintf(tmp, sizeof tmp, "%lld", (long long)v->i);
            return buf_put(b, tmp, (size_t)n);
        }
        case V_DOUBLE:
            return json_double(b, v->d);
        default:
            return UNHANDLED; /* bytes are normalized before they get here */
    }
}

/* ---------------------------------------------------------------- an ordered dict of values */

typedef struct {
    const char *k;
    size_t kn;
    Val v;
} Entry;

typedef struct {
    Entry e[MAX_ENTRIES];
    int n;
} Dict;

static Entry *dict_find(Dict *d, const char *k, size_t kn) {
    for (int i = 0; i < d->n; i++)
        if (d->e[i].kn == kn && memcmp(d->e[i].k, k, kn) == 0) return &d->e[i];
    return NULL;
}

/* d[k] = v: a new key goes last, a known one keeps its place. */
static int dict_set(Dict *d, const char *k, size_t kn, Val v) {
    Entry *found = dict_find(d, k, kn);
    if (found) {
        found->v = v;
        return OK;
    }
    if (d->n == MAX_ENTRIES) return UNHANDLED;
    d->e[d->n].k = k;
    d->e[d->n].kn = kn;
    d->e[d->n].v = v;
    d->n++;
    return OK;
}

static int dict_set_c(Dict *d, const char *k, Val v) { return dict_set(d, k, strlen(k), v); }

/* The dict as JSON, without its closing brace when open is set. */
static int json_dict(Buf *b, const Dict *d, int first, int open) {
    if (first) TRY(buf_byte(b, '{'));
    for (int i = 0; i < d->n; i++) {
        if (i) TRY(buf_byte(b, ','));
        TRY(json_string(b, d->e[i].k, d->e[i].kn));
        TRY(buf_byte(b, ':'));
        TRY(json_value(b, &d->e[i].v));
    }
    return open ? OK : buf_byte(b, '}');
}

/* ---------------------------------------------------------------- protobuf wire format */

typedef struct {
    const unsigned char *p, *end;
} Reader;

/* A varint of at most max_bytes bytes: 10 for values; 5 for tags and lengths, as protobuf's
 * runtime (upb) reads them (a longer one is refused there: not handled here). */
static int read_varint_max(Reader *r, uint64_t *out, int max_bytes) {
    uint64_t v = 0;
    for (int shift = 0, i = 0; i < max_bytes; i++, shift += 7) {
        if (r->p >= r->end) return UNHANDLED;
        unsigned char c = *r->p++;
        if (i == 9 && c > 1) return UNHANDLED;
        v |= (uint64_t)(c & 0x7F) << shift;
        if (!(c & 0x80)) {
            *out = v;
            return OK;
        }
    }
    return UNHANDLED;
}

static int read_varint(Reader *r, uint64_t *out) { return read_varint_max(r, out, 10); }

/* The next field's number and wire type; *done at the end of the message. */
static int read_tag(Reader *r, uint32_t *field, int *wire, int *done) {
    *done = r->p >= r->end;
    if (*done) return OK;
    uint64_t tag;
    TRY(read_varint_max(r, &tag, 5));
    if (tag > UINT32_MAX || (tag >> 3) == 0) return UNHANDLED;
    *field = (uint32_t)(tag >> 3);
    *wire = (int)(tag & 7);
    return OK;
}

static int read_len(Reader *r, Reader *sub) {
    uint64_t n;
    TRY(read_varint_max(r, &n, 5));
    if (n > (uint64_t)(r->end - r->p) || n > INT32_MAX) return UNHANDLED;
    sub->p = r->p;
    sub->end = r->p + n;
    r->p += n;
    return OK;
}

static int read_fixed(Reader *r, int bytes, uint64_t *out) {
    if (r->end - r->p < bytes) return UNHANDLED;
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; i--) v = v << 8 | r->p[i];
    r->p += bytes;
    *out = v;
    return OK;
}

/* An unknown field, skipped as protobuf's runtime keeps it (groups are not handled). */
static int skip_field(Reader *r, int wire) {
    uint64_t ignored;
    Reader sub;
    switch (wire) {
        case 0: return read_varint(r, &ignored);
        case 1: return read_fixed(r, 8, &ignored);
        case 2: return read_len(r, &sub);
        case 5: return read_fixed(r, 4, &ignored);
        default: return UNHANDLED;
    }
}

/* A string field: valid UTF-8, as protobuf's runtime requires of proto3 strings. */
static int read_string(Reader *r, int wire, Val *out) {
    Reader sub;
    if (wire != 2) return UNHANDLED;
    TRY(read_len(r, &sub));
    if (!utf8_valid(sub.p, (size_t)(sub.end - sub.p))) return UNHANDLED;
    *out = str_val((const char *)sub.p, (size_t)(sub.end - sub.p));
    return OK;
}

static int read_bytes(Reader *r, int wire, Val *out) {
    Reader sub;
    if (wire != 2) return UNHANDLED;
    TRY(read_len(r, &sub));
    out->kind = V_BYTES;
    out->s = (const char *)sub.p;
    out->n = (size_t)(sub.end - sub.p);
    return OK;
}

static int expect_varint(Reader *r, int wire, uint64_t *out) {
    if (wire != 0) return UNHANDLED;
    return read_varint(r, out);
}

/* An AnyValue: the last member of its oneof wins; arrays and kvlists are not handled. */
static int read_any_value(Reader r, Val *out) {
    uint32_t field;
    int wire, done;
    uint64_t u;
    Val v = {V_NONE, NULL, 0, 0, 0.0};
    for (;;) {
        TRY(read_tag(&r, &field, &wire, &done));
        if (done) break;
        switch (field) {
            case 1:
                TRY(read_string(&r, wire, &v));
                break;
            case 2:
                TRY(expect_varint(&r, wire, &u));
                v.kind = V_BOOL;
                v.i = u != 0;
                break;
            case 3:
                TRY(expect_varint(&r, wire, &u));
                v.kind = V_INT;
                v.i = (int64_t)u;
                break;
            case 4:
                if (wire != 1) return UNHANDLED;
                TRY(read_fixed(&r, 8, &u));
                v.kind = V_DOUBLE;
                memcpy(&v.d, &u, 8);
                break;
            case 7:
                TRY(read_bytes(&r, wire, &v));
                break;
            case 5: case 6: case 8:
                return UNHANDLED;
            default:
                TRY(skip_field(&r, wire));
        }
    }
    *out = v;
    return OK;
}

/* A KeyValue: its key and its value (V_NONE when absent). */
static int read_key_value(Reader r, Val *key, Val *value) {
    uint32_t field;
    int wire, done, seen_value = 0;
    *key = str_val("", 0);
    value->kind = V_NONE;
    for (;;) {
        TRY(read_tag(&r, &field, &wire, &done));
        if (done) return OK;
        if (field == 1) {
            TRY(read_string(&r, wire, key));
        } else if (field == 2) {
            Reader sub;
            if (wire != 2 || seen_value++) return UNHANDLED; /* a repeated message field merges */
            TRY(read_len(&r, &sub));
            TRY(read_any_value(sub, value));
        } else if (field == 3) {
            return UNHANDLED;
        } else {
            TRY(skip_field(&r, wire));
        }
    }
}

/* ---------------------------------------------------------------- the mapping (otlp.py) */

enum {
    S_ERROR_TYPE, S_EXC_MESSAGE, S_STACK, S_FUNCTION, S_FILE, S_METHOD, S_ROUTE, S_URL_PATH,
    S_USER, S_SESSION, S_DURATION, S_ACTION, S_LOG_TYPE, S_TRACE, S_SPAN, S_SERVICE, S_ENV, S_VERSION,
    S_HTTP_STATUS, NSLOTS
};

static const struct {
    const char *key;
    int slot;
} ATTRIBUTE_SLOTS[] = {
    {"exception.type", S_ERROR_TYPE}, {"error_type", S_ERROR_TYPE}, {"error.type", S_ERROR_TYPE},
    {"exception.message", S_EXC_MESSAGE}, {"exception.stacktrace", S_STACK}, {"stack_trace", S_STACK},
    {"code.function.name", S_FUNCTION}, {"code.function", S_FUNCTION}, {"function_name", S_FUNCTION},
    {"code.file.path", S_FILE}, {"code.filepath", S_FILE}, {"file_path", S_FILE},
    {"http.request.method", S_METHOD}, {"http.method", S_METHOD}, {"method", S_METHOD},
    {"http.route", S_ROUTE}, {"path", S_ROUTE}, {"url.path", S_URL_PATH}, {"http.target", S_URL_PATH},
    {"user.id", S_USER}, {"enduser.id", S_USER}, {"user_id", S_USER},
    {"userId", S_USER},
    {"session.id", S_SESSION}, {"session_id", S_SESSION}, {"duration_ms", S_DURATION},
    {"action_type", S_ACTION}, {"log_type", S_LOG_TYPE}, {"trace_id", S_TRACE}, {"span_id", S_SPAN},
    {"service", S_SERVICE}, {"environment", S_ENV}, {"service_version", S_VERSION},
    {"http.response.status_code", S_HTTP_STATUS}, {"http.status_code", S_HTTP_STATUS},
    {"http_status", S_HTTP_STATUS},
};

static int slot_of(const char *k, size_t n) {
    for (size_t i = 0; i < COUNT(ATTRIBUTE_SLOTS); i++) {
        const char *key = ATTRIBUTE_SLOTS[i].key;
        if (key[0] == (n ? k[0] : 0) && strlen(key) == n && memcmp(key, k, n) == 0)
            return ATTRIBUTE_SLOTS[i].slot;
    }
    return -1;
}

static int is_text_slot(int slot) { return slot != S_DURATION && slot != S_HTTP_STATUS; }

enum { R_SERVICE, R_VERSION, R_ENVIRONMENT, R_LOG_TYPE, NRESOURCE };
static const struct {
    const char *key;
    int column;
} RESOURCE_COLUMNS[] = {
    {"service.name", R_SERVICE},
    {"service.version", R_VERSION},
    {"deployment.environment.name", R_ENVIRONMENT},
    {"deployment.environment", R_ENVIRONMENT},
    {"loglens.log_type", R_LOG_TYPE},
};

typedef struct {
    Val service, version; /* V_NONE or V_STR */
    const char *environment, *log_type;
    Buf prefix; /* the resource metadata as JSON without its closing brace */
    int has_prefix;
} Context;

typedef struct {
    Buf out;
    PyObject *offsets, *positions, *refused, *problems;
    int64_t days[MAX_DAYS];
    int ndays;
    size_t text_bytes;
    int64_t received_us;
    Py_ssize_t max_message_chars;
    Py_ssize_t index, rows;
    int keep_problem_rows; /* the differential tests compare even the rows the writer refuses */
    Arena context_arena, record_arena;
    Dict dict; /* the resource's metadata, then each record's extra */
} Decoder;

static int log_type_of(Decoder *dec, const Val *explicit, Dict *metadata, const char **log_type) {
    if (explicit->kind == V_STR && explicit->n) {
        TRY(changed_label(&dec->context_arena, explicit, 1, LOG_TYPES, COUNT(LOG_TYPES), log_type));
        if (*log_type) return OK;
    }
    Entry *language = dict_find(metadata, "telemetry.sdk.language", 22);
    if (language && text_eq(&language->v, "webjs")) {
        *log_type = "FRONTEND";
        return OK;
    }
    for (int i = 0; i < metadata->n; i++) {
        if (metadata->e[i].kn >= 8 && memcmp(metadata->e[i].k, "browser.", 8) == 0) {
            *log_type = "FRONTEND";
            return OK;
        }
    }
    /* str(metadata.get("os.type") or metadata.get("os.name") or "").lower() in MOBILE_OS: only a
     * str can match; a falsy value gives way to the next. */
    const Val *os = NULL;
    Entry *os_type = dict_find(metadata, "os.type", 7), *os_name = dict_find(metadata, "os.name", 7);
    const Entry *candidates[2] = {os_type, os_name};
    for (int i = 0; i < 2 && !os; i++) {
        if (!candidates[i]) continue;
        const Val *v = &candidates[i]->v;
        int truthy = v->kind == V_STR ? v->n > 0 : v->kind == V_NONE ? 0 : v->kind == V_DOUBLE ? v->d != 0 : v->i != 0;
        if (truthy) os = v;
    }
    if (os && os->kind == V_STR) {
        static const char *const MOBILE_OS[] = {"android", "ios", "ipados"};
        const char *mobile;
        TRY(changed_label(&dec->context_arena, os, 0, MOBILE_OS, COUNT(MOBILE_OS), &mobile));
        if (mobile) {
            *log_type = "MOBILE";
            return OK;
        }
    }
    if (language && text_eq(&language->v, "swift")) {
        *log_type = "MOBILE";
        return OK;
    }
    *log_type = "BACKEND";
    return OK;
}

/* otlp._resource_context, from the Resource message (may be absent) and the scope's name. */
static int read_context(Decoder *dec, const Reader *resource, const Val *scope_name, Context *ctx) {
    Val columns[NRESOURCE];
    int have[NRESOURCE] = {0};
    Dict *metadata = &dec->dict;
    metadata->n = 0;
    if (resource) {
        Reader r = *resource;
        uint32_t field;
        int wire, done;
        uint64_t ignored;
        for (;;) {
            TRY(read_tag(&r, &field, &wire, &done));
            if (done) break;
            if (field == 1) {
                Reader sub;
                Val key, value;
                if (wire != 2) return UNHANDLED;
                TRY(read_len(&r, &sub));
                TRY(read_key_value(sub, &key, &value));
                TRY(normalize(&dec->context_arena, &value));
                int column = -1;
                for (size_t i = 0; i < COUNT(RESOURCE_COLUMNS); i++)
                    if (strlen(RESOURCE_COLUMNS[i].key) == key.n && memcmp(RESOURCE_COLUMNS[i].key, key.s, key.n) == 0)
                        column = RESOURCE_COLUMNS[i].column;
                if (column >= 0 && value.kind == V_STR && !have[column]) {
                    columns[column] = value;
                    have[column] = 1;
                } else {
                    TRY(dict_set(metadata, key.s, key.n, value));
                }
            } else if (field == 2) {
                TRY(expect_varint(&r, wire, &ignored));
            } else if (field == 3) {
                return UNHANDLED; /* entity_refs */
            } else {
                TRY(skip_field(&r, wire));
            }
        }
    }
    if (scope_name->n) TRY(dict_set_c(metadata, "otel.scope.name", *scope_name));
    ctx->environment = NULL;
    if (have[R_ENVIRONMENT]) {
        TRY(python_label(&dec->context_arena, cb_environment_from_text, &columns[R_ENVIRONMENT], ENVIRONMENTS,
                         COUNT(ENVIRONMENTS), &ctx->environment));
        if (!ctx->environment) TRY(dict_set_c(metadata, "deployment.environment.name", columns[R_ENVIRONMENT]));
    }
    Val none = {V_NONE, NULL, 0, 0, 0.0};
    ctx->service = have[R_SERVICE] ? columns[R_SERVICE] : none;
    ctx->version = have[R_VERSION] ? columns[R_VERSION] : none;
    TRY(log_type_of(dec, have[R_LOG_TYPE] ? &columns[R_LOG_TYPE] : &none, metadata, &ctx->log_type));
    ctx->prefix.len = 0;
    ctx->has_prefix = metadata->n > 0;
    if (ctx->has_prefix) TRY(json_dict(&ctx->prefix, metadata, 1, 1));
    return OK;
}

/* ---------------------------------------------------------------- COPY fields */

static int put_null(Buf *b) { return buf_be32(b, -1); }

static int put_text(Buf *b, const char *s, size_t n) {
    if (n > INT32_MAX) return UNHANDLED;
    TRY(buf_be32(b, (int32_t)n));
    return buf_put(b, s, n);
}

static int put_val_text(Buf *b, const Val *v) {
    if (v->kind == V_NONE) return put_null(b);
    if (v->kind != V_STR) return UNHANDLED;
    return put_text(b, v->s, v->n);
}

static int put_label(Buf *b, const char *label) { return label ? put_text(b, label, strlen(label)) : put_null(b); }

/* storage/copy.encode_thousandths: NUMERIC of thousandths/1000, scale 3, base-10000 digits. */
static int put_thousandths(Buf *b, int64_t thousandths) {
    uint16_t digits[8];
    int count = 0;
    int16_t sign = 0;
    if (thousandths == 0) {
        TRY(buf_be32(b, 8));
        TRY(buf_be16(b, 0));
        TRY(buf_be16(b, 0));
        TRY(buf_be16(b, 0));
        return buf_be16(b, 3);
    }
    uint64_t remaining;
    if (thousandths < 0) {
        sign = 0x4000;
        remaining = (uint64_t)(-(thousandths + 1)) + 1;
    } else {
        remaining = (uint64_t)thousandths;
    }
    if (remaining > UINT64_MAX / 10) return UNHANDLED;
    remaining *= 10;
    while (remaining) {
        digits[count++] = (uint16_t)(remaining % 10000);
        remaining /= 10000;
    }
    TRY(buf_be32(b, 8 + 2 * count));
    TRY(buf_be16(b, (int16_t)count));
    TRY(buf_be16(b, (int16_t)(count - 2)));
    TRY(buf_be16(b, sign));
    TRY(buf_be16(b, 3));
    for (int i = count - 1; i >= 0; i--) TRY(buf_be16(b, (int16_t)digits[i]));
    return OK;
}

static int put_created(Buf *b, int64_t unix_us) {
    TRY(buf_be32(b, 8));
    return buf_be64(b, unix_us - PG_EPOCH_US);
}

/* ---------------------------------------------------------------- refusals and problems */

static int add_reason(PyObject *container, Py_ssize_t at, const char *reason, int as_dict) {
    PyObject *text = PyUnicode_FromString(reason);
    if (!text) return ERR;
    PyObject *key = PyLong_FromSsize_t(at);
    if (!key) {
        Py_DECREF(text);
        return ERR;
    }
    int rc;
    if (as_dict) {
        rc = PyDict_SetItem(container, key, text);
    } else {
        PyObject *pair = PyTuple_Pack(2, key, text);
        rc = pair ? PyList_Append(container, pair) : -1;
        Py_XDECREF(pair);
    }
    Py_DECREF(key);
    Py_DECREF(text);
    return rc < 0 ? ERR : OK;
}

static int add_int(PyObject *list, long long value) {
    PyObject *number = PyLong_FromLongLong(value);
    if (!number) return ERR;
    int rc = PyList_Append(list, number);
    Py_DECREF(number);
    return rc < 0 ? ERR : OK;
}

/* The columns in row order; the VARCHAR limits (0: none); which are text (rows.TEXT_POSITIONS). */
static const char *const COLUMN_NAMES[NCOLS] = {
    "created_at", "level", "log_type", "service", "environment", "service_version", "trace_id",
    "span_id", "user_id", "session_id", "error_type", "message", "stack_trace", "path", "method",
    "action_type", "function_name", "file_path", "duration_ms", "metadata"};
static const int COLUMN_LIMITS[NCOLS] = {0, 0, 0, 100, 0, 50, 64, 16, 100, 100, 200, 0, 0, 2048, 0, 100, 200, 500, 0, 0};
enum { C_MESSAGE = 11, C_STACK = 12, C_METADATA = 19 };

/* The order problem_with checks NULs in: the limited columns in row order, then message and
 * stack_trace. */
static const int NUL_ORDER[] = {3, 5, 6, 7, 8, 9, 10, 13, 15, 16, 17, C_MESSAGE, C_STACK};

/* rows.problem_with over a row's COPY fields (field starts as offsets, -1 for NULL). */
static int problem_of(const char *row, const Py_ssize_t *start, const int32_t *len, char *reason, size_t size) {
    for (int c = 0; c < NCOLS; c++) {
        if (!COLUMN_LIMITS[c] || start[c] < 0) continue;
        size_t chars = utf8_chars(row + start[c], (size_t)len[c]);
        if (chars > (size_t)COLUMN_LIMITS[c]) {
            snprintf(reason, size, "%s is %zu characters long; the limit is %d", COLUMN_NAMES[c], chars,
                     COLUMN_LIMITS[c]);
            return 1;
        }
    }
    for (size_t i = 0; i < COUNT(NUL_ORDER); i++) {
        int c = NUL_ORDER[i];
        if (start[c] >= 0 && memchr(row + start[c], 0, (size_t)len[c])) {
            snprintf(reason, size, "%s contains a NUL character (\\u0000), which PostgreSQL cannot store",
                     COLUMN_NAMES[c]);
            return 1;
        }
    }
    if (start[C_METADATA] >= 0) {
        /* the jsonb field: its version byte, then the JSON text */
        const char *doc = row + start[C_METADATA] + 1;
        size_t n = (size_t)len[C_METADATA] - 1;
        if (has_nul_escape(doc, n)) {
            snprintf(reason, size, "metadata contains a NUL character (\\u0000), which PostgreSQL cannot store");
            return 1;
        }
    }
    return 0;
}

/* Where each field of the row starting at row_start is (offsets from the row's start). */
static void field_layout(const char *row, Py_ssize_t *start, int32_t *len) {
    size_t at = 2;
    for (int c = 0; c < NCOLS; c++) {
        uint32_t u = (uint32_t)(unsigned char)row[at] << 24 | (uint32_t)(unsigned char)row[at + 1] << 16 |
                     (uint32_t)(unsigned char)row[at + 2] << 8 | (unsigned char)row[at + 3];
        int32_t n = (int32_t)u;
        at += 4;
        len[c] = n;
        start[c] = n < 0 ? -1 : (Py_ssize_t)at;
        if (n > 0) at += (size_t)n;
    }
}

static int add_day(Decoder *dec, int64_t created_us) {
    int64_t day = created_us >= 0 ? created_us / DAY_US : -((-created_us + DAY_US - 1) / DAY_US);
    for (int i = 0; i < dec->ndays; i++)
        if (dec->days[i] == day) return OK;
    if (dec->ndays == MAX_DAYS) return UNHANDLED;
    dec->days[dec->ndays++] = day;
    return OK;
}

/* A row just written at row_start: refused for a long message (ingest._refuse_long_messages), or
 * kept, with the problem the writer would refuse it for. */
static int finish_row(Decoder *dec, size_t row_start, int64_t created_us) {
    Py_ssize_t start[NCOLS];
    int32_t len[NCOLS];
    const char *row = dec->out.p + row_start;
    field_layout(row, start, len);
    size_t message_chars = utf8_chars(row + start[C_MESSAGE], (size_t)len[C_MESSAGE]);
    char reason[200];
    if ((Py_ssize_t)message_chars > dec->max_message_chars) {
        snprintf(reason, sizeof reason, "message is %zu characters long; the limit is %zd (LOGLENS_MAX_MESSAGE_CHARS)",
                 message_chars, dec->max_message_chars);
        dec->out.len = row_start;
        return add_reason(dec->refused, dec->index, reason, 0);
    }
    if (problem_of(row, start, len, reason, sizeof reason)) {
        TRY(add_reason(dec->problems, dec->rows, reason, 1));
        if (!dec->keep_problem_rows) dec->out.len = row_start; /* never COPYed: the writer refuses it */
    } else {
        dec->text_bytes += (size_t)len[C_MESSAGE] + (len[C_STACK] > 0 ? (size_t)len[C_STACK] : 0) +
                           (len[C_METADATA] > 0 ? (size_t)len[C_METADATA] : 0);
    }
    TRY(add_int(dec->offsets, (long long)row_start));
    TRY(add_int(dec->positions, (long long)dec->index));
    TRY(add_day(dec, created_us));
    dec->rows++;
    return OK;
}

/* ---------------------------------------------------------------- one record (otlp._map_record) */

static const char *const SEVERITY_LEVELS[25] = {
    "INFO", "TRACE", "TRACE", "TRACE", "TRACE", "DEBUG", "DEBUG", "DEBUG", "DEBUG", "INFO", "INFO", "INFO", "INFO",
    "WARN", "WARN", "WARN", "WARN", "ERROR", "ERROR", "ERROR", "ERROR", "FATAL", "FATAL", "FATAL", "FATAL"};

typedef struct {
    uint64_t time, observed;
    int32_t severity;
    Val severity_text, event_name, trace_id, span_id;
    Reader body;
    int has_body;
} RecordFields;

/* The attribute loop of _map_record, and the record's other fields. */
static int read_record(Decoder *dec, Reader r, RecordFields *f, Val *slots, Dict *extra) {
    Arena *arena = &dec->record_arena;
    uint32_t field;
    int wire, done;
    uint64_t u;
    for (;;) {
        TRY(read_tag(&r, &field, &wire, &done));
        if (done) return OK;
        switch (field) {
            case 1:
            case 11:
                if (wire != 1) return UNHANDLED;
                TRY(read_fixed(&r, 8, field == 1 ? &f->time : &f->observed));
                break;
            case 2:
                TRY(expect_varint(&r, wire, &u));
                f->severity = (int32_t)(uint32_t)u;
                break;
            case 3:
                TRY(read_string(&r, wire, &f->severity_text));
                break;
            case 5:
                if (wire != 2 || f->has_body++) return UNHANDLED;
                TRY(read_len(&r, &f->body));
                break;
            case 6: {
                Reader sub;
                Val key, value;
                if (wire != 2) return UNHANDLED;
                TRY(read_len(&r, &sub));
                TRY(read_key_value(sub, &key, &value));
                TRY(normalize(arena, &value));
                int slot = slot_of(key.s, key.n);
                if (slot < 0 || slots[slot].kind != V_NONE) {
                    TRY(dict_set(extra, key.s, key.n, value));
                } else {
                    if (is_text_slot(slot)) TRY(to_text(arena, &value));
                    slots[slot] = value;
                }
                break;
            }
            case 7:
                TRY(expect_varint(&r, wire, &u));
                break;
            case 8:
                if (wire != 5) return UNHANDLED;
                TRY(read_fixed(&r, 4, &u));
                break;
            case 9:
                TRY(read_bytes(&r, wire, &f->trace_id));
                break;
            case 10:
                TRY(read_bytes(&r, wire, &f->span_id));
                break;
            case 12:
                TRY(read_string(&r, wire, &f->event_name));
                break;
            default:
                TRY(skip_field(&r, wire));
        }
    }
}

/* otlp._message: the body as text; *refused when it is bytes that are not UTF-8. */
static int message_of(Decoder *dec, const RecordFields *f, Val *message, int *refused) {
    *refused = 0;
    *message = str_val("", 0);
    if (!f->has_body) return OK;
    Val body;
    TRY(read_any_value(f->body, &body));
    switch (body.kind) {
        case V_STR:
            *message = body;
            return OK;
        case V_BYTES:
            if (!utf8_valid((const unsigned char *)body.s, body.n)) {
                *refused = 1;
                return OK;
            }
            *message = str_val(body.s, body.n);
            return OK;
        case V_NONE:
            return OK;
        default:
            TRY(normalize(&dec->record_arena, &body));
            TRY(to_text(&dec->record_arena, &body));
            *message = body;
            return OK;
    }
}

static int hex_id(Arena *a, const Val *id, size_t zero_length, Val *out, int *used) {
    *used = 0;
    if (id->kind != V_BYTES || id->n == 0) return OK;
    int all_zero = id->n == zero_length;
    for (size_t i = 0; all_zero && i < id->n; i++) all_zero = id->s[i] == 0;
    if (all_zero) return OK;
    static const char hex[] = "0123456789abcdef";
    char *p = arena_alloc(a, id->n * 2);
    if (!p) return ERR;
    for (size_t i = 0; i < id->n; i++) {
        p[2 * i] = hex[(unsigned char)id->s[i] >> 4];
        p[2 * i + 1] = hex[id->s[i] & 15];
    }
    *out = str_val(p, id->n * 2);
    *used = 1;
    return OK;
}

static int truthy_text(const Val *v) { return v->kind == V_STR && v->n > 0; }

/* Everything of _map_record after the attribute loop, which fills extra in the same order. */
static int map_record(Decoder *dec, Reader r, const Context *ctx) {
    Arena *arena = &dec->record_arena;
    Val slots[NSLOTS];
    memset(slots, 0, sizeof slots);
    Dict *extra = &dec->dict;
    extra->n = 0;
    RecordFields f;
    memset(&f, 0, sizeof f);
    TRY(read_record(dec, r, &f, slots, extra));

    /* when */
    uint64_t created = (f.time ? f.time : f.observed) / 1000;
    int64_t created_us = (int64_t)created;
    if (!(MIN_PLAUSIBLE_US <= created_us && created_us <= dec->received_us + MAX_FUTURE_US)) {
        if (created) {
            Val original = {V_INT, NULL, 0, created_us, 0.0};
            TRY(dict_set_c(extra, "original_timestamp_us", original));
        }
        created_us = dec->received_us;
    }

    /* what */
    const char *level = NULL;
    if (f.severity > 0 && f.severity <= 24) {
        level = SEVERITY_LEVELS[f.severity];
    } else if (f.severity_text.kind == V_STR && f.severity_text.n) {
        TRY(python_label(arena, cb_level_from_text, &f.severity_text, LEVELS, COUNT(LEVELS), &level));
    }
    if (!level) level = "INFO";

    Val message;
    int refused;
    TRY(message_of(dec, &f, &message, &refused));
    if (refused) return add_reason(dec->refused, dec->index, "body is bytes that are not valid UTF-8", 0);
    if (slots[S_EXC_MESSAGE].kind != V_NONE) {
        if (message.n)
            TRY(dict_set_c(extra, "exception.message", slots[S_EXC_MESSAGE]));
        else
            message = slots[S_EXC_MESSAGE];
    }
    if (f.event_name.kind == V_STR && f.event_name.n) {
        TRY(dict_set_c(extra, "event.name", f.event_name));
        if (!message.n) message = f.event_name;
    }

    /* where */
    const char *method = NULL;
    if (slots[S_METHOD].kind != V_NONE) {
        method = label_of(&slots[S_METHOD], METHODS, COUNT(METHODS));
        if (!method) TRY(changed_label(arena, &slots[S_METHOD], 1, METHODS, COUNT(METHODS), &method));
        if (!method) TRY(dict_set_c(extra, "http.request.method", slots[S_METHOD]));
    }
    Val path = slots[S_ROUTE];
    if (path.kind == V_NONE)
        path = slots[S_URL_PATH];
    else if (slots[S_URL_PATH].kind != V_NONE)
        TRY(dict_set_c(extra, "url.path", slots[S_URL_PATH]));

    Val status = slots[S_HTTP_STATUS];
    if (status.kind != V_NONE) {
        if (status.kind == V_STR && !is_ascii(status.s, status.n) && utf8_chars(status.s, status.n) == 3)
            return UNHANDLED; /* str.isdigit() of other scripts' digits, and int() of them */
        if (status.kind == V_STR && status.n == 3 && status.s[0] >= '0' && status.s[0] <= '9' &&
            status.s[1] >= '0' && status.s[1] <= '9' && status.s[2] >= '0' && status.s[2] <= '9') {
            Val number = {V_INT, NULL, 0, (status.s[0] - '0') * 100 + (status.s[1] - '0') * 10 + (status.s[2] - '0'), 0.0};
            status = number;
        }
        TRY(dict_set_c(extra, "http_status", status));
    }

    int64_t duration = 0;
    int has_duration = 0;
    if (slots[S_DURATION].kind != V_NONE) {
        TRY(duration_of(&slots[S_DURATION], &duration, &has_duration));
        if (!has_duration) TRY(dict_set_c(extra, "duration_ms", slots[S_DURATION]));
    }

    const char *log_type = ctx->log_type;
    if (slots[S_LOG_TYPE].kind != V_NONE) {
        const char *explicit;
        TRY(changed_label(arena, &slots[S_LOG_TYPE], 1, LOG_TYPES, COUNT(LOG_TYPES), &explicit));
        if (explicit)
            log_type = explicit;
        else
            TRY(dict_set_c(extra, "log_type", slots[S_LOG_TYPE]));
    }

    const char *environment = ctx->environment;
    if (slots[S_ENV].kind != V_NONE) {
        TRY(python_label(arena, cb_environment_from_text, &slots[S_ENV], ENVIRONMENTS, COUNT(ENVIRONMENTS),
                         &environment));
        if (!environment) TRY(dict_set_c(extra, "environment", slots[S_ENV]));
    }

    Val trace = slots[S_TRACE], span = slots[S_SPAN], id;
    int used;
    TRY(hex_id(arena, &f.trace_id, 16, &id, &used));
    if (used) trace = id;
    TRY(hex_id(arena, &f.span_id, 8, &id, &used));
    if (used) span = id;

    /* the row */
    Buf *out = &dec->out;
    size_t row_start = out->len;
    TRY(buf_be16(out, NCOLS));
    TRY(put_created(out, created_us));
    TRY(put_label(out, level));
    TRY(put_label(out, log_type));
    TRY(put_val_text(out, truthy_text(&slots[S_SERVICE]) ? &slots[S_SERVICE] : &ctx->service));
    TRY(put_label(out, environment));
    TRY(put_val_text(out, truthy_text(&slots[S_VERSION]) ? &slots[S_VERSION] : &ctx->version));
    TRY(put_val_text(out, &trace));
    TRY(put_val_text(out, &span));
    TRY(put_val_text(out, &slots[S_USER]));
    TRY(put_val_text(out, &slots[S_SESSION]));
    TRY(put_val_text(out, &slots[S_ERROR_TYPE]));
    TRY(put_val_text(out, &message));
    TRY(put_val_text(out, &slots[S_STACK]));
    TRY(put_val_text(out, &path));
    TRY(put_label(out, method));
    TRY(put_val_text(out, &slots[S_ACTION]));
    TRY(put_val_text(out, &slots[S_FUNCTION]));
    TRY(put_val_text(out, &slots[S_FILE]));
    if (has_duration)
        TRY(put_thousandths(out, duration));
    else
        TRY(put_null(out));
    /* metadata: _merged_metadata(prefix, extra) */
    if (!extra->n && !ctx->has_prefix) {
        TRY(put_null(out));
    } else {
        size_t length_at = out->len;
        TRY(buf_be32(out, 0));
        TRY(buf_byte(out, 1));
        if (ctx->has_prefix) TRY(buf_put(out, ctx->prefix.p, ctx->prefix.len));
        if (!extra->n) {
            TRY(buf_byte(out, '}'));
        } else {
            if (ctx->has_prefix) TRY(buf_byte(out, ','));
            TRY(json_dict(out, extra, !ctx->has_prefix, 0));
        }
        size_t n = out->len - length_at - 4;
        if (n > INT32_MAX) return UNHANDLED;
        uint32_t u = (uint32_t)n;
        out->p[length_at] = (char)(u >> 24);
        out->p[length_at + 1] = (char)(u >> 16);
        out->p[length_at + 2] = (char)(u >> 8);
        out->p[length_at + 3] = (char)u;
    }
    return finish_row(dec, row_start, created_us);
}

/* ---------------------------------------------------------------- the request's structure */

/* ResourceLogs and ScopeLogs alike: field 1 is one message (the resource, the scope), field 2
   the repeated messages (scope logs, log records), field 3 the schema URL. Scan them all once
   (field 1 may come after the others): find field 1, and check the others' wire types, so
   that the walk in order that follows meets nothing it has not validated. */
static int scan_head(Reader scan, Reader *head, int *has_head) {
    uint32_t field;
    int wire, done;
    Val schema_url;
    *has_head = 0;
    for (;;) {
        TRY(read_tag(&scan, &field, &wire, &done));
        if (done) return OK;
        if (field == 1) {
            if (wire != 2 || (*has_head)++) return UNHANDLED;
            TRY(read_len(&scan, head));
        } else if (field == 2) {
            Reader ignored;
            if (wire != 2) return UNHANDLED;
            TRY(read_len(&scan, &ignored));
        } else if (field == 3) {
            TRY(read_string(&scan, wire, &schema_url));
        } else {
            TRY(skip_field(&scan, wire));
        }
    }
}

static int read_scope_logs(Decoder *dec, Reader r, const Reader *resource) {
    /* First the scope (it may come after the records), then the records in order. */
    Reader scope;
    uint32_t field;
    int wire, done, has_scope;
    Val scope_name = str_val("", 0);
    TRY(scan_head(r, &scope, &has_scope));
    if (has_scope) {
        Reader s = scope;
        uint64_t ignored;
        Val version;
        for (;;) {
            TRY(read_tag(&s, &field, &wire, &done));
            if (done) break;
            if (field == 1)
                TRY(read_string(&s, wire, &scope_name));
            else if (field == 2)
                TRY(read_string(&s, wire, &version));
            else if (field == 3)
                return UNHANDLED; /* scope attributes */
            else if (field == 4)
                TRY(expect_varint(&s, wire, &ignored));
            else
                TRY(skip_field(&s, wire));
        }
    }
    arena_reset(&dec->context_arena);
    Context ctx;
    memset(&ctx, 0, sizeof ctx);
    int rc = read_context(dec, resource, &scope_name, &ctx);
    for (;;) {
        if (rc != OK) break;
        rc = read_tag(&r, &field, &wire, &done);
        if (rc != OK || done) break;
        if (field == 2) {
            Reader record;
            rc = read_len(&r, &record);
            if (rc != OK) break;
            arena_reset(&dec->record_arena);
            rc = map_record(dec, record, &ctx);
            dec->index++;
        } else {
            rc = skip_field(&r, wire); /* validated in the scan above */
        }
    }
    buf_free(&ctx.prefix);
    return rc;
}

static int read_resource_logs(Decoder *dec, Reader r) {
    Reader resource;
    uint32_t field;
    int wire, done, has_resource;
    TRY(scan_head(r, &resource, &has_resource));
    int scopes = 0;
    for (;;) {
        TRY(read_tag(&r, &field, &wire, &done));
        if (done) break;
        if (field == 2) {
            Reader scope_logs;
            TRY(read_len(&r, &scope_logs));
            TRY(read_scope_logs(dec, scope_logs, has_resource ? &resource : NULL));
            scopes++;
        } else {
            TRY(skip_field(&r, wire));
        }
    }
    if (!scopes && has_resource) {
        /* No records, but protobuf's runtime still reads the resource: it must be valid. */
        Context ctx;
        memset(&ctx, 0, sizeof ctx);
        Val no_scope = str_val("", 0);
        arena_reset(&dec->context_arena);
        int rc = read_context(dec, &resource, &no_scope, &ctx);
        buf_free(&ctx.prefix);
        return rc;
    }
    return OK;
}

static int read_request(Decoder *dec, Reader r) {
    uint32_t field;
    int wire, done;
    for (;;) {
        TRY(read_tag(&r, &field, &wire, &done));
        if (done) return OK;
        if (field == 1) {
            Reader resource_logs;
            if (wire != 2) return UNHANDLED;
            TRY(read_len(&r, &resource_logs));
            TRY(read_resource_logs(dec, resource_logs));
        } else {
            TRY(skip_field(&r, wire));
        }
    }
}

static PyObject *days_set(const int64_t *days, int ndays) {
    PyObject *set = PyFrozenSet_New(NULL);
    if (!set) return NULL;
    for (int i = 0; i < ndays; i++) {
        PyObject *day = PyLong_FromLongLong(days[i]);
        if (!day || PySet_Add(set, day) < 0) {
            Py_XDECREF(day);
            Py_DECREF(set);
            return NULL;
        }
        Py_DECREF(day);
    }
    return set;
}

static int callbacks_ready(void) {
    if (cb_level_from_text && cb_environment_from_text && cb_duration_thousandths && cb_dumps) return 1;
    PyErr_SetString(PyExc_RuntimeError, "loglens native: configure() was not called");
    return 0;
}

/* decode_otlp(body, received_us, max_message_chars, keep_problem_rows=False) -> (data, offsets,
 * positions, refused, problems, days, records, text_bytes) or None */
static PyObject *decode_otlp(PyObject *self, PyObject *args) {
    Py_buffer body;
    long long received_us;
    Py_ssize_t max_message_chars;
    int keep_problem_rows = 0;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*Ln|p", &body, &received_us, &max_message_chars, &keep_problem_rows)) return NULL;
    if (!callbacks_ready()) {
        PyBuffer_Release(&body);
        return NULL;
    }
    Decoder *dec = PyMem_Calloc(1, sizeof(Decoder));
    PyObject *result = NULL;
    if (!dec) {
        PyBuffer_Release(&body);
        return PyErr_NoMemory();
    }
    dec->received_us = received_us;
    dec->max_message_chars = max_message_chars;
    dec->keep_problem_rows = keep_problem_rows;
    dec->offsets = PyList_New(0);
    dec->positions = PyList_New(0);
    dec->refused = PyList_New(0);
    dec->problems = PyDict_New();
    int rc = ERR;
    if (dec->offsets && dec->positions && dec->refused && dec->problems) {
        Reader r = {(const unsigned char *)body.buf, (const unsigned char *)body.buf + body.len};
        rc = received_us > 0 && received_us < INT64_MAX / 2 ? read_request(dec, r) : UNHANDLED;
    }
    if (rc == UNHANDLED) {
        result = Py_NewRef(Py_None);
    } else if (rc == OK) {
        PyObject *data = PyBytes_FromStringAndSize(dec->out.p ? dec->out.p : "", (Py_ssize_t)dec->out.len);
        PyObject *days = days_set(dec->days, dec->ndays);
        if (data && days)
            result = Py_BuildValue("(OOOOOOnn)", data, dec->offsets, dec->positions, dec->refused, dec->problems,
                                   days, dec->index, (Py_ssize_t)dec->text_bytes);
        Py_XDECREF(data);
        Py_XDECREF(days);
    }
    Py_XDECREF(dec->offsets);
    Py_XDECREF(dec->positions);
    Py_XDECREF(dec->refused);
    Py_XDECREF(dec->problems);
    buf_free(&dec->out);
    arena_free(&dec->context_arena);
    arena_free(&dec->record_arena);
    PyMem_Free(dec);
    PyBuffer_Release(&body);
    return result;
}

/* ---------------------------------------------------------------- row tuples -> COPY */

/* The row's problem as problem_with words it, checked on the str values; 1 when found. */
static int tuple_problem(PyObject *row, char *reason, size_t size) {
    for (int c = 0; c < NCOLS; c++) {
        if (!COLUMN_LIMITS[c]) continue;
        PyObject *v = PyTuple_GET_ITEM(row, c);
        if (v == Py_None) continue;
        Py_ssize_t chars = PyUnicode_GET_LENGTH(v);
        if (chars > COLUMN_LIMITS[c]) {
            snprintf(reason, size, "%s is %zd characters long; the limit is %d", COLUMN_NAMES[c], chars,
                     COLUMN_LIMITS[c]);
            return 1;
        }
    }
    for (size_t i = 0; i < COUNT(NUL_ORDER); i++) {
        int c = NUL_ORDER[i];
        PyObject *v = PyTuple_GET_ITEM(row, c);
        if (v == Py_None) continue;
        if (PyUnicode_FindChar(v, 0, 0, PyUnicode_GET_LENGTH(v), 1) >= 0) {
            snprintf(reason, size, "%s contains a NUL character (\\u0000), which PostgreSQL cannot store",
                     COLUMN_NAMES[c]);
            return 1;
        }
    }
    PyObject *metadata = PyTuple_GET_ITEM(row, C_METADATA);
    if (metadata != Py_None && has_nul_escape(PyBytes_AS_STRING(metadata), (size_t)PyBytes_GET_SIZE(metadata))) {
        snprintf(reason, size, "metadata contains a NUL character (\\u0000), which PostgreSQL cannot store");
        return 1;
    }
    return 0;
}

/* Whether the row holds only what the codecs of storage/copy.py take, as the mappers make it. */
static int tuple_handled(PyObject *row) {
    if (!PyTuple_CheckExact(row) || PyTuple_GET_SIZE(row) != NCOLS) return 0;
    if (!PyLong_CheckExact(PyTuple_GET_ITEM(row, 0))) return 0;
    for (int c = 1; c < NCOLS; c++) {
        PyObject *v = PyTuple_GET_ITEM(row, c);
        if (v == Py_None) continue;
        if (c == 18 ? !PyLong_CheckExact(v) : c == C_METADATA ? !PyBytes_CheckExact(v) : !PyUnicode_CheckExact(v))
            return 0;
    }
    return 1;
}

/* One row's COPY tuple; UNHANDLED for a value out of range, *unencodable for text that is not UTF-8
 * (a lone surrogate: asyncpg's UnicodeEncodeError). */
static int encode_tuple(Buf *out, PyObject *row, int *unencodable) {
    *unencodable = 0;
    int overflow;
    long long created = PyLong_AsLongLongAndOverflow(PyTuple_GET_ITEM(row, 0), &overflow);
    if (overflow || (created == -1 && PyErr_Occurred())) return UNHANDLED;
    if (created < INT64_MIN / 2 || created > INT64_MAX / 2) return UNHANDLED;
    TRY(buf_be16(out, NCOLS));
    TRY(put_created(out, created));
    for (int c = 1; c < NCOLS; c++) {
        PyObject *v = PyTuple_GET_ITEM(row, c);
        if (v == Py_None) {
            TRY(put_null(out));
        } else if (c == 18) {
            long long thousandths = PyLong_AsLongLongAndOverflow(v, &overflow);
            if (overflow || (thousandths == -1 && PyErr_Occurred())) return UNHANDLED;
            TRY(put_thousandths(out, thousandths));
        } else if (c == C_METADATA) {
            Py_ssize_t n = PyBytes_GET_SIZE(v);
            if (n >= INT32_MAX) return UNHANDLED;
            TRY(buf_be32(out, (int32_t)(n + 1)));
            TRY(buf_byte(out, 1));
            TRY(buf_put(out, PyBytes_AS_STRING(v), (size_t)n));
        } else {
            Py_ssize_t n;
            const char *utf8 = PyUnicode_AsUTF8AndSize(v, &n);
            if (!utf8) {
                if (!PyErr_ExceptionMatches(PyExc_UnicodeEncodeError)) return ERR;
                PyErr_Clear();
                *unencodable = 1;
                return OK;
            }
            TRY(put_text(out, utf8, (size_t)n));
        }
    }
    return OK;
}

static int encode_all(PyObject *rows, Buf *out, PyObject *offsets, PyObject *problems, int64_t *days, int *ndays,
                      size_t *text_bytes) {
    Py_ssize_t count = PyList_GET_SIZE(rows);
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *row = PyList_GET_ITEM(rows, i);
        if (!tuple_handled(row)) return UNHANDLED;
    }
    Decoder days_only;
    days_only.ndays = 0;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *row = PyList_GET_ITEM(rows, i);
        size_t row_start = out->len;
        TRY(add_int(offsets, (long long)row_start));
        char reason[200];
        int unencodable = 0;
        if (tuple_problem(row, reason, sizeof reason)) {
            TRY(add_reason(problems, i, reason, 1));
        } else {
            TRY(encode_tuple(out, row, &unencodable));
            if (unencodable) {
                out->len = row_start;
                TRY(add_reason(problems, i, "text is not valid UTF-8", 1));
            }
        }
        int overflow;
        long long created = PyLong_AsLongLongAndOverflow(PyTuple_GET_ITEM(row, 0), &overflow);
        if (overflow || (created == -1 && PyErr_Occurred())) return UNHANDLED;
        TRY(add_day(&days_only, created));
        if (out->len > row_start) {
            PyObject *message = PyTuple_GET_ITEM(row, C_MESSAGE), *stack = PyTuple_GET_ITEM(row, C_STACK);
            PyObject *metadata = PyTuple_GET_ITEM(row, C_METADATA);
            *text_bytes += (size_t)(message != Py_None ? PyUnicode_GET_LENGTH(message) : 0) +
                           (size_t)(stack != Py_None ? PyUnicode_GET_LENGTH(stack) : 0) +
                           (size_t)(metadata != Py_None ? PyBytes_GET_SIZE(metadata) : 0);
        }
    }
    memcpy(days, days_only.days, sizeof(int64_t) * (size_t)days_only.ndays);
    *ndays = days_only.ndays;
    return OK;
}

/* encode_rows(rows) -> (data, offsets, problems, days, text_bytes) or None */
static PyObject *encode_rows(PyObject *self, PyObject *rows) {
    (void)self;
    if (!PyList_CheckExact(rows)) {
        PyErr_SetString(PyExc_TypeError, "encode_rows takes a list of row tuples");
        return NULL;
    }
    Buf out = {NULL, 0, 0};
    PyObject *offsets = PyList_New(0), *problems = PyDict_New(), *result = NULL;
    int64_t days[MAX_DAYS];
    int ndays = 0;
    size_t text_bytes = 0;
    int rc = offsets && problems ? encode_all(rows, &out, offsets, problems, days, &ndays, &text_bytes) : ERR;
    if (rc == UNHANDLED) {
        PyErr_Clear();
        result = Py_NewRef(Py_None);
    } else if (rc == OK) {
        PyObject *data = PyBytes_FromStringAndSize(out.p ? out.p : "", (Py_ssize_t)out.len);
        PyObject *day_set = days_set(days, ndays);
        if (data && day_set)
            result = Py_BuildValue("(OOOOn)", data, offsets, problems, day_set, (Py_ssize_t)text_bytes);
        Py_XDECREF(data);
        Py_XDECREF(day_set);
    }
    Py_XDECREF(offsets);
    Py_XDECREF(problems);
    buf_free(&out);
    return result;
}

/* configure(level_from_text, environment_from_text, duration_thousandths, dumps) */
static PyObject *configure(PyObject *self, PyObject *args) {
    PyObject *level, *environment, *duration, *dumps;
    (void)self;
    if (!PyArg_ParseTuple(args, "OOOO", &level, &environment, &duration, &dumps)) return NULL;
    Py_XSETREF(cb_level_from_text, Py_NewRef(level));
    Py_XSETREF(cb_environment_from_text, Py_NewRef(environment));
    Py_XSETREF(cb_duration_thousandths, Py_NewRef(duration));
    Py_XSETREF(cb_dumps, Py_NewRef(dumps));
    Py_RETURN_NONE;
}

/* The tables this file holds, for the Python side to compare with its own. */
static PyObject *tables(PyObject *self, PyObject *unused) {
    (void)self;
    (void)unused;
    PyObject *slots = PyDict_New(), *resource = PyDict_New(), *columns = PyTuple_New(NCOLS), *limits = PyDict_New();
    PyObject *severity = PyTuple_New(25);
    if (!slots || !resource || !columns || !limits || !severity) goto fail;
    for (size_t i = 0; i < COUNT(ATTRIBUTE_SLOTS); i++) {
        PyObject *n = PyLong_FromLong(ATTRIBUTE_SLOTS[i].slot);
        if (!n || PyDict_SetItemString(slots, ATTRIBUTE_SLOTS[i].key, n) < 0) {
            Py_XDECREF(n);
            goto fail;
        }
        Py_DECREF(n);
    }
    static const char *const RESOURCE_NAMES[NRESOURCE] = {"service", "service_version", "environment", "log_type"};
    for (size_t i = 0; i < COUNT(RESOURCE_COLUMNS); i++) {
        PyObject *n = PyUnicode_FromString(RESOURCE_NAMES[RESOURCE_COLUMNS[i].column]);
        if (!n || PyDict_SetItemString(resource, RESOURCE_COLUMNS[i].key, n) < 0) {
            Py_XDECREF(n);
            goto fail;
        }
        Py_DECREF(n);
    }
    for (int c = 0; c < NCOLS; c++) {
        PyObject *name = PyUnicode_FromString(COLUMN_NAMES[c]);
        if (!name) goto fail;
        PyTuple_SET_ITEM(columns, c, name);
        if (COLUMN_LIMITS[c]) {
            PyObject *n = PyLong_FromLong(COLUMN_LIMITS[c]);
            if (!n || PyDict_SetItem(limits, name, n) < 0) {
                Py_XDECREF(n);
                goto fail;
            }
            Py_DECREF(n);
        }
    }
    for (int i = 0; i < 25; i++) {
        PyObject *name = PyUnicode_FromString(SEVERITY_LEVELS[i]);
        if (!name) goto fail;
        PyTuple_SET_ITEM(severity, i, name);
    }
    PyObject *labels = Py_BuildValue(
        "{s:(ssssss),s:(sssss),s:(sssss),s:(sssssss)}", "levels", LEVELS[0], LEVELS[1], LEVELS[2], LEVELS[3],
        LEVELS[4], LEVELS[5], "log_types", LOG_TYPES[0], LOG_TYPES[1], LOG_TYPES[2], LOG_TYPES[3], LOG_TYPES[4],
        "environments", ENVIRONMENTS[0], ENVIRONMENTS[1], ENVIRONMENTS[2], ENVIRONMENTS[3], ENVIRONMENTS[4],
        "methods", METHODS[0], METHODS[1], METHODS[2], METHODS[3], METHODS[4], METHODS[5], METHODS[6]);
    if (!labels) goto fail;
    PyObject *result = Py_BuildValue("{s:N,s:N,s:N,s:N,s:N,s:N,s:L,s:L,s:L}", "attribute_slots", slots,
                                     "resource_columns", resource, "columns", columns, "max_chars", limits,
                                     "severity_levels", severity, "labels", labels, "min_plausible_us",
                                     (long long)MIN_PLAUSIBLE_US, "max_future_us", (long long)MAX_FUTURE_US,
                                     "max_duration_thousandths", (long long)MAX_DURATION_THOUSANDTHS);
    return result;
fail:
    Py_XDECREF(slots);
    Py_XDECREF(resource);
    Py_XDECREF(columns);
    Py_XDECREF(limits);
    Py_XDECREF(severity);
    return NULL;
}

static PyMethodDef methods[] = {
    {"decode_otlp", decode_otlp, METH_VARARGS, "OTLP ExportLogsServiceRequest bytes -> binary COPY rows, or None"},
    {"encode_rows", encode_rows, METH_O, "row tuples -> binary COPY rows, or None"},
    {"configure", configure, METH_VARARGS, "the Python functions the decoder calls for rare values"},
    {"tables", tables, METH_NOARGS, "the mapping tables compiled in"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_native", NULL, -1, methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__native(void) {
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    if (PyModule_AddStringConstant(m, "SOURCE_HASH", LOGLENS_NATIVE_SOURCE_HASH) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
