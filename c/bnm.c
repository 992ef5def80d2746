/*
 * bnm.c - a C99 reader for .bnm files (docs/FORMAT.md). libc + POSIX mmap only.
 * See bnm.h for the API and README.md for what is checked.
 */
#define _POSIX_C_SOURCE 200809L
#include "bnm.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---------------------------------------------------------------- constants */

#define HEADER_SIZE 64u
#define ALIGNMENT 64u
#define MAX_MANIFEST_LENGTH ((uint64_t)64 << 20)
#define MAX_INT53 ((uint64_t)1 << 53)
#define JSON_MAX_DEPTH 512
#define JSON_MAX_NUMBER_LENGTH 1024
#define REQUIRED_FLAGS_MASK 0x0000FFFFu

static const unsigned char MAGIC[8] = {0x89, 0x42, 0x4E, 0x4D, 0x0D, 0x0A, 0x1A, 0x0A};

/* ---------------------------------------------------------------- CRC-32 (zlib) */

static const uint32_t CRC_TABLE[256] = {
    0x00000000u, 0x77073096u, 0xee0e612cu, 0x990951bau, 0x076dc419u, 0x706af48fu,
    0xe963a535u, 0x9e6495a3u, 0x0edb8832u, 0x79dcb8a4u, 0xe0d5e91eu, 0x97d2d988u,
    0x09b64c2bu, 0x7eb17cbdu, 0xe7b82d07u, 0x90bf1d91u, 0x1db71064u, 0x6ab020f2u,
    0xf3b97148u, 0x84be41deu, 0x1adad47du, 0x6ddde4ebu, 0xf4d4b551u, 0x83d385c7u,
    0x136c9856u, 0x646ba8c0u, 0xfd62f97au, 0x8a65c9ecu, 0x14015c4fu, 0x63066cd9u,
    0xfa0f3d63u, 0x8d080df5u, 0x3b6e20c8u, 0x4c69105eu, 0xd56041e4u, 0xa2677172u,
    0x3c03e4d1u, 0x4b04d447u, 0xd20d85fdu, 0xa50ab56bu, 0x35b5a8fau, 0x42b2986cu,
    0xdbbbc9d6u, 0xacbcf940u, 0x32d86ce3u, 0x45df5c75u, 0xdcd60dcfu, 0xabd13d59u,
    0x26d930acu, 0x51de003au, 0xc8d75180u, 0xbfd06116u, 0x21b4f4b5u, 0x56b3c423u,
    0xcfba9599u, 0xb8bda50fu, 0x2802b89eu, 0x5f058808u, 0xc60cd9b2u, 0xb10be924u,
    0x2f6f7c87u, 0x58684c11u, 0xc1611dabu, 0xb6662d3du, 0x76dc4190u, 0x01db7106u,
    0x98d220bcu, 0xefd5102au, 0x71b18589u, 0x06b6b51fu, 0x9fbfe4a5u, 0xe8b8d433u,
    0x7807c9a2u, 0x0f00f934u, 0x9609a88eu, 0xe10e9818u, 0x7f6a0dbbu, 0x086d3d2du,
    0x91646c97u, 0xe6635c01u, 0x6b6b51f4u, 0x1c6c6162u, 0x856530d8u, 0xf262004eu,
    0x6c0695edu, 0x1b01a57bu, 0x8208f4c1u, 0xf50fc457u, 0x65b0d9c6u, 0x12b7e950u,
    0x8bbeb8eau, 0xfcb9887cu, 0x62dd1ddfu, 0x15da2d49u, 0x8cd37cf3u, 0xfbd44c65u,
    0x4db26158u, 0x3ab551ceu, 0xa3bc0074u, 0xd4bb30e2u, 0x4adfa541u, 0x3dd895d7u,
    0xa4d1c46du, 0xd3d6f4fbu, 0x4369e96au, 0x346ed9fcu, 0xad678846u, 0xda60b8d0u,
    0x44042d73u, 0x33031de5u, 0xaa0a4c5fu, 0xdd0d7cc9u, 0x5005713cu, 0x270241aau,
    0xbe0b1010u, 0xc90c2086u, 0x5768b525u, 0x206f85b3u, 0xb966d409u, 0xce61e49fu,
    0x5edef90eu, 0x29d9c998u, 0xb0d09822u, 0xc7d7a8b4u, 0x59b33d17u, 0x2eb40d81u,
    0xb7bd5c3bu, 0xc0ba6cadu, 0xedb88320u, 0x9abfb3b6u, 0x03b6e20cu, 0x74b1d29au,
    0xead54739u, 0x9dd277afu, 0x04db2615u, 0x73dc1683u, 0xe3630b12u, 0x94643b84u,
    0x0d6d6a3eu, 0x7a6a5aa8u, 0xe40ecf0bu, 0x9309ff9du, 0x0a00ae27u, 0x7d079eb1u,
    0xf00f9344u, 0x8708a3d2u, 0x1e01f268u, 0x6906c2feu, 0xf762575du, 0x806567cbu,
    0x196c3671u, 0x6e6b06e7u, 0xfed41b76u, 0x89d32be0u, 0x10da7a5au, 0x67dd4accu,
    0xf9b9df6fu, 0x8ebeeff9u, 0x17b7be43u, 0x60b08ed5u, 0xd6d6a3e8u, 0xa1d1937eu,
    0x38d8c2c4u, 0x4fdff252u, 0xd1bb67f1u, 0xa6bc5767u, 0x3fb506ddu, 0x48b2364bu,
    0xd80d2bdau, 0xaf0a1b4cu, 0x36034af6u, 0x41047a60u, 0xdf60efc3u, 0xa867df55u,
    0x316e8eefu, 0x4669be79u, 0xcb61b38cu, 0xbc66831au, 0x256fd2a0u, 0x5268e236u,
    0xcc0c7795u, 0xbb0b4703u, 0x220216b9u, 0x5505262fu, 0xc5ba3bbeu, 0xb2bd0b28u,
    0x2bb45a92u, 0x5cb36a04u, 0xc2d7ffa7u, 0xb5d0cf31u, 0x2cd99e8bu, 0x5bdeae1du,
    0x9b64c2b0u, 0xec63f226u, 0x756aa39cu, 0x026d930au, 0x9c0906a9u, 0xeb0e363fu,
    0x72076785u, 0x05005713u, 0x95bf4a82u, 0xe2b87a14u, 0x7bb12baeu, 0x0cb61b38u,
    0x92d28e9bu, 0xe5d5be0du, 0x7cdcefb7u, 0x0bdbdf21u, 0x86d3d2d4u, 0xf1d4e242u,
    0x68ddb3f8u, 0x1fda836eu, 0x81be16cdu, 0xf6b9265bu, 0x6fb077e1u, 0x18b74777u,
    0x88085ae6u, 0xff0f6a70u, 0x66063bcau, 0x11010b5cu, 0x8f659effu, 0xf862ae69u,
    0x616bffd3u, 0x166ccf45u, 0xa00ae278u, 0xd70dd2eeu, 0x4e048354u, 0x3903b3c2u,
    0xa7672661u, 0xd06016f7u, 0x4969474du, 0x3e6e77dbu, 0xaed16a4au, 0xd9d65adcu,
    0x40df0b66u, 0x37d83bf0u, 0xa9bcae53u, 0xdebb9ec5u, 0x47b2cf7fu, 0x30b5ffe9u,
    0xbdbdf21cu, 0xcabac28au, 0x53b39330u, 0x24b4a3a6u, 0xbad03605u, 0xcdd70693u,
    0x54de5729u, 0x23d967bfu, 0xb3667a2eu, 0xc4614ab8u, 0x5d681b02u, 0x2a6f2b94u,
    0xb40bbe37u, 0xc30c8ea1u, 0x5a05df1bu, 0x2d02ef8du,
};

uint32_t bnm_crc32(uint32_t crc, const void *bytes, size_t length) {
    const unsigned char *p = (const unsigned char *)bytes;
    uint32_t c = crc ^ 0xFFFFFFFFu;
    size_t i;
    for (i = 0; i < length; i++) c = CRC_TABLE[(c ^ p[i]) & 0xFFu] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

/* ---------------------------------------------------------------- small helpers */

static uint16_t le16(const unsigned char *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t le32(const unsigned char *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static uint64_t le64(const unsigned char *p) { return (uint64_t)le32(p) | ((uint64_t)le32(p + 4) << 32); }

typedef struct bnm_str {
    const char *s;
    size_t len;
} bnm_str;

static int str_eq(const char *s, size_t len, const char *lit) {
    size_t n = strlen(lit);
    return n == len && memcmp(s, lit, n) == 0;
}

/* An arena: everything the decoded manifest needs, freed at once. */
typedef struct arena_chunk {
    struct arena_chunk *next;
    size_t used, cap;
    /* data follows, max-aligned */
} arena_chunk;

typedef struct arena {
    arena_chunk *head;
} arena;

#define ARENA_ALIGN 16u
#define ARENA_HEADER ((sizeof(arena_chunk) + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN)

static void *arena_alloc(arena *a, size_t size) {
    size_t rounded;
    if (size == 0) size = 1;
    if (size > SIZE_MAX - ARENA_ALIGN - ARENA_HEADER) return NULL;
    rounded = (size + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN;
    if (a->head == NULL || a->head->cap - a->head->used < rounded) {
        size_t cap = rounded > 65536 ? rounded : 65536;
        arena_chunk *chunk = (arena_chunk *)malloc(ARENA_HEADER + cap);
        if (chunk == NULL) return NULL;
        chunk->next = a->head;
        chunk->used = 0;
        chunk->cap = cap;
        a->head = chunk;
    }
    {
        unsigned char *base = (unsigned char *)a->head + ARENA_HEADER + a->head->used;
        a->head->used += rounded;
        memset(base, 0, rounded);
        return base;
    }
}

/* count * size, or NULL on overflow. */
static void *arena_array(arena *a, size_t count, size_t size) {
    if (size != 0 && count > SIZE_MAX / size) return NULL;
    return arena_alloc(a, count * size);
}

static void arena_free(arena *a) {
    arena_chunk *c = a->head;
    while (c != NULL) {
        arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    a->head = NULL;
}

/* A string -> index hash map (open addressing, FNV-1a). */
typedef struct strmap {
    size_t cap; /* power of two */
    size_t used;
    bnm_str *keys;
    size_t *values;
} strmap;

static uint64_t hash_bytes(const char *s, size_t len, uint64_t seed) {
    uint64_t h = 1469598103934665603ull ^ seed;
    size_t i;
    for (i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

/* 0 ok, -1 out of memory. */
static int strmap_init(strmap *m, size_t expected) {
    size_t cap = 16;
    while (cap / 2 < expected) {
        if (cap > SIZE_MAX / 4 / sizeof(bnm_str)) return -1;
        cap *= 2;
    }
    m->cap = cap;
    m->used = 0;
    m->keys = (bnm_str *)calloc(cap, sizeof(bnm_str));
    m->values = (size_t *)calloc(cap, sizeof(size_t));
    if (m->keys == NULL || m->values == NULL) {
        free(m->keys);
        free(m->values);
        m->keys = NULL;
        m->values = NULL;
        return -1;
    }
    return 0;
}

static void strmap_free(strmap *m) {
    free(m->keys);
    free(m->values);
    m->keys = NULL;
    m->values = NULL;
    m->cap = m->used = 0;
}

/* The index stored for key, or (size_t)-1. */
static size_t strmap_get(const strmap *m, const char *s, size_t len) {
    size_t mask, i;
    if (m->cap == 0) return (size_t)-1;
    mask = m->cap - 1;
    i = (size_t)hash_bytes(s, len, 0) & mask;
    while (m->keys[i].s != NULL) {
        if (m->keys[i].len == len && memcmp(m->keys[i].s, s, len) == 0) return m->values[i];
        i = (i + 1) & mask;
    }
    return (size_t)-1;
}

/* Inserts key -> value unless present. Returns 1 inserted, 0 already present, -1 no memory.
 * The map must have been sized for every insertion (strmap_init(expected)). */
static int strmap_put(strmap *m, const char *s, size_t len, size_t value) {
    size_t mask = m->cap - 1, i;
    if (m->used + 1 > m->cap / 2) return -1; /* sized by the caller; never grows */
    i = (size_t)hash_bytes(s, len, 0) & mask;
    while (m->keys[i].s != NULL) {
        if (m->keys[i].len == len && memcmp(m->keys[i].s, s, len) == 0) return 0;
        i = (i + 1) & mask;
    }
    m->keys[i].s = s != NULL ? s : "";
    m->keys[i].len = len;
    m->values[i] = value;
    m->used++;
    return 1;
}

/* ---------------------------------------------------------------- errors */

static const char *const CODE_NAMES[] = {"OK", "FILE001", "FILE002", "FILE003", "FILE004",
                                         "FILE005", "FILE006", "FILE007", "FILE008"};

const char *bnm_code_name(bnm_code code) {
    if ((int)code >= 0 && (int)code <= 8) return CODE_NAMES[code];
    switch (code) {
    case BNM_ERR_IO: return "IO";
    case BNM_ERR_NOMEM: return "NOMEM";
    case BNM_ERR_ARG: return "ARG";
    default: return "UNKNOWN";
    }
}

const char *bnm_rule_name(bnm_rule rule) {
    switch (rule) {
    case BNM_RULE_NONE: return "none";
    case BNM_RULE_IO: return "io";
    case BNM_RULE_NOMEM: return "outOfMemory";
    case BNM_RULE_BAD_MAGIC: return "badMagic";
    case BNM_RULE_TEXT_MODE_DAMAGE: return "textModeDamage";
    case BNM_RULE_TRUNCATED: return "truncated";
    case BNM_RULE_UNSUPPORTED_MAJOR_VERSION: return "unsupportedMajorVersion";
    case BNM_RULE_HEADER_CHECKSUM_MISMATCH: return "headerChecksumMismatch";
    case BNM_RULE_UNSUPPORTED_REQUIRED_FLAGS: return "unsupportedRequiredFlags";
    case BNM_RULE_INVALID_HEADER_FIELD: return "invalidHeaderField";
    case BNM_RULE_MANIFEST_TOO_LARGE: return "manifestTooLarge";
    case BNM_RULE_TRAILING_BYTES: return "trailingBytes";
    case BNM_RULE_MANIFEST_CHECKSUM_MISMATCH: return "manifestChecksumMismatch";
    case BNM_RULE_MANIFEST_NOT_JSON: return "manifestNotJSON";
    case BNM_RULE_MANIFEST_SCHEMA: return "manifestSchema";
    case BNM_RULE_DUPLICATE_TENSOR_NAME: return "duplicateTensorName";
    case BNM_RULE_SHAPE_OVERFLOW: return "shapeOverflow";
    case BNM_RULE_LENGTH_MISMATCH: return "lengthMismatch";
    case BNM_RULE_MISALIGNED: return "misaligned";
    case BNM_RULE_EXTENT_OUT_OF_BOUNDS: return "extentOutOfBounds";
    case BNM_RULE_OVERLAPPING_TENSORS: return "overlappingTensors";
    case BNM_RULE_UNEXPECTED_GAP: return "unexpectedGap";
    case BNM_RULE_DATA_LENGTH_MISMATCH: return "dataLengthMismatch";
    case BNM_RULE_UNKNOWN_TENSOR: return "unknownTensor";
    case BNM_RULE_INCONSISTENT_MANIFEST: return "inconsistentManifest";
    case BNM_RULE_INVALID_MODEL: return "invalidModel";
    case BNM_RULE_CHECKSUM_MISMATCH: return "checksumMismatch";
    case BNM_RULE_NON_ZERO_PADDING: return "nonZeroPadding";
    }
    return "unknown";
}

static const char *const DTYPE_NAMES[] = {"f16", "bf16", "f32", "f64", "i8", "i16", "i32", "i64", "u8"};
static const size_t DTYPE_SIZES[] = {2, 2, 4, 8, 1, 2, 4, 8, 1};

const char *bnm_dtype_name(bnm_dtype dtype) {
    return (unsigned)dtype < 9u ? DTYPE_NAMES[dtype] : "?";
}
size_t bnm_dtype_size(bnm_dtype dtype) { return (unsigned)dtype < 9u ? DTYPE_SIZES[dtype] : 0; }

/* The reading context: where errors go. */
typedef struct ctx {
    const char *path;
    bnm_error *err;
    bnm_code code; /* the first failure, kept even when err is NULL */
} ctx;

#if defined(__GNUC__) || defined(__clang__)
#define BNM_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define BNM_PRINTF(a, b)
#endif

static int fail(ctx *c, bnm_code code, bnm_rule rule, uint64_t offset, const char *pointer, const char *fmt, ...)
    BNM_PRINTF(6, 7);

/* Records the failure; always returns -1 so callers can `return fail(...)`. */
static int fail(ctx *c, bnm_code code, bnm_rule rule, uint64_t offset, const char *pointer, const char *fmt, ...) {
    c->code = code;
    if (c->err != NULL) {
        va_list ap;
        int n;
        bnm_error *e = c->err;
        e->code = code;
        e->rule = rule;
        e->offset = offset;
        snprintf(e->pointer, sizeof e->pointer, "%s", pointer != NULL ? pointer : "");
        n = snprintf(e->message, sizeof e->message, "%s: ", c->path);
        if (n < 0) n = 0;
        if ((size_t)n < sizeof e->message) {
            va_start(ap, fmt);
            vsnprintf(e->message + n, sizeof e->message - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return -1;
}

static int fail_nomem(ctx *c) {
    return fail(c, BNM_ERR_NOMEM, BNM_RULE_NOMEM, BNM_NO_OFFSET, "", "out of memory");
}

/* A name for messages: at most 80 bytes, non-printable bytes as '?'. */
static const char *printable(const char *s, size_t len, char *buf, size_t cap) {
    size_t i, n = len < cap - 4 ? len : cap - 4;
    for (i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        buf[i] = (ch >= 0x20 && ch != 0x7F) ? (char)ch : '?';
    }
    if (n < len) {
        buf[n++] = '.';
        buf[n++] = '.';
        buf[n++] = '.';
    }
    buf[n] = '\0';
    return buf;
}
#define PNAME(s, len, buf) printable((s), (len), (buf), sizeof(buf))

/* ---------------------------------------------------------------- JSON */

struct bnm_json {
    const char *key;          /* member key (NUL-terminated) when inside an object */
    struct bnm_json *next;    /* next element / member */
    struct bnm_json *first;   /* first element / member */
    const char *str;          /* string value (NUL-terminated) */
    int64_t i;
    double d;
    uint32_t key_len;
    uint32_t len;             /* string length, or element / member count */
    uint32_t next_i, first_i, parent_i; /* indices while parsing */
    unsigned char type;
    unsigned char is_int;
};

typedef struct jparser {
    const unsigned char *b;
    size_t n, pos;
    int depth;
    struct bnm_json *nodes;
    size_t count, cap;
    char *pool;
    size_t pool_used, pool_cap;
    uint32_t *hash; /* member node index + 1; 0 = empty */
    size_t hash_cap, hash_used;
    int nomem;
    size_t err_off;
    char err_msg[240];
} jparser;

static int jfail(jparser *p, size_t offset, const char *fmt, ...) BNM_PRINTF(3, 4);
static int jfail(jparser *p, size_t offset, const char *fmt, ...) {
    va_list ap;
    p->err_off = offset < p->n ? offset : p->n;
    va_start(ap, fmt);
    vsnprintf(p->err_msg, sizeof p->err_msg, fmt, ap);
    va_end(ap);
    return -1;
}

static int jnomem(jparser *p) {
    p->nomem = 1;
    return jfail(p, p->pos, "out of memory");
}

static const char *describe_byte(const jparser *p, size_t offset, char *buf, size_t cap) {
    unsigned char ch;
    if (offset >= p->n) return "end of text";
    ch = p->b[offset];
    if (ch >= 0x21 && ch < 0x7F) snprintf(buf, cap, "'%c'", ch);
    else if (ch == ' ') return "space";
    else if (ch == '\n') return "line feed";
    else if (ch == '\r') return "carriage return";
    else if (ch == '\t') return "tab";
    else snprintf(buf, cap, "byte 0x%02X", ch);
    return buf;
}

static int junexpected(jparser *p, const char *expected) {
    char buf[16];
    if (p->pos >= p->n) return jfail(p, p->pos, "the text ends too early; expected %s", expected);
    return jfail(p, p->pos, "unexpected %s; expected %s", describe_byte(p, p->pos, buf, sizeof buf), expected);
}

static void jskip_ws(jparser *p) {
    while (p->pos < p->n) {
        unsigned char ch = p->b[p->pos];
        if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') p->pos++;
        else return;
    }
}

/* Appends a node (its index in *out); 0 on success, -1 out of memory. */
static int jnew(jparser *p, unsigned char type, uint32_t *out) {
    if (p->count == p->cap) {
        size_t cap = p->cap == 0 ? 64 : p->cap * 2;
        struct bnm_json *nodes;
        if (cap > UINT32_MAX - 1 || cap > SIZE_MAX / sizeof(struct bnm_json)) return jnomem(p);
        nodes = (struct bnm_json *)realloc(p->nodes, cap * sizeof(struct bnm_json));
        if (nodes == NULL) return jnomem(p);
        p->nodes = nodes;
        p->cap = cap;
    }
    memset(&p->nodes[p->count], 0, sizeof(struct bnm_json));
    p->nodes[p->count].type = type;
    *out = (uint32_t)p->count;
    p->count++;
    return 0;
}

static uint64_t member_hash(const jparser *p, uint32_t parent, const char *key, size_t len) {
    (void)p;
    return hash_bytes(key, len, (uint64_t)parent * 0x9E3779B97F4A7C15ull);
}

/* 1 when `parent` already has a member called key. */
static int jhas_key(const jparser *p, uint32_t parent, const char *key, size_t len) {
    size_t mask, i;
    if (p->hash_cap == 0) return 0;
    mask = p->hash_cap - 1;
    i = (size_t)member_hash(p, parent, key, len) & mask;
    while (p->hash[i] != 0) {
        const struct bnm_json *m = &p->nodes[p->hash[i] - 1];
        if (m->parent_i == parent && m->key_len == len && memcmp(m->key, key, len) == 0) return 1;
        i = (i + 1) & mask;
    }
    return 0;
}

static int jadd_key(jparser *p, uint32_t member) {
    size_t mask, i;
    if (p->hash_used + 1 > p->hash_cap / 2) {
        size_t cap = p->hash_cap == 0 ? 256 : p->hash_cap * 2, j;
        uint32_t *table;
        if (cap > SIZE_MAX / sizeof(uint32_t)) return jnomem(p);
        table = (uint32_t *)calloc(cap, sizeof(uint32_t));
        if (table == NULL) return jnomem(p);
        for (j = 0; j < p->hash_cap; j++) {
            if (p->hash[j] != 0) {
                const struct bnm_json *m = &p->nodes[p->hash[j] - 1];
                size_t k = (size_t)member_hash(p, m->parent_i, m->key, m->key_len) & (cap - 1);
                while (table[k] != 0) k = (k + 1) & (cap - 1);
                table[k] = p->hash[j];
            }
        }
        free(p->hash);
        p->hash = table;
        p->hash_cap = cap;
    }
    mask = p->hash_cap - 1;
    {
        const struct bnm_json *m = &p->nodes[member];
        i = (size_t)member_hash(p, m->parent_i, m->key, m->key_len) & mask;
    }
    while (p->hash[i] != 0) i = (i + 1) & mask;
    p->hash[i] = member + 1;
    p->hash_used++;
    return 0;
}

static int jvalue(jparser *p, uint32_t *out);

static int jpool_put(jparser *p, const unsigned char *bytes, size_t len) {
    if (len > p->pool_cap - p->pool_used) return jfail(p, p->pos, "internal error: string pool exhausted");
    memcpy(p->pool + p->pool_used, bytes, len);
    p->pool_used += len;
    return 0;
}

static int jhex4(jparser *p, unsigned *out) {
    unsigned value = 0;
    int k;
    char buf[16];
    for (k = 0; k < 4; k++) {
        unsigned char ch;
        unsigned digit;
        if (p->pos >= p->n) return jfail(p, p->pos, "the text ends too early; expected four hex digits after \\u");
        ch = p->b[p->pos];
        if (ch >= '0' && ch <= '9') digit = (unsigned)(ch - '0');
        else if (ch >= 'a' && ch <= 'f') digit = (unsigned)(ch - 'a' + 10);
        else if (ch >= 'A' && ch <= 'F') digit = (unsigned)(ch - 'A' + 10);
        else
            return jfail(p, p->pos, "invalid escape in string: \\u must be followed by four hex digits, found %s",
                         describe_byte(p, p->pos, buf, sizeof buf));
        value = (value << 4) | digit;
        p->pos++;
    }
    *out = value;
    return 0;
}

/* Reads a string at the opening quote into the pool; *s, *len = the decoded text. */
static int jstring(jparser *p, const char **s, size_t *len) {
    size_t start = p->pool_used;
    p->pos++; /* opening quote */
    for (;;) {
        unsigned char ch;
        if (p->pos >= p->n) return jfail(p, p->pos, "the text ends too early; expected '\"' to close the string");
        ch = p->b[p->pos];
        if (ch == '"') {
            unsigned char nul = 0;
            p->pos++;
            *len = p->pool_used - start;
            if (jpool_put(p, &nul, 1) != 0) return -1;
            *s = p->pool + start;
            return 0;
        } else if (ch == '\\') {
            size_t escape_start = p->pos;
            unsigned char code, one;
            p->pos++;
            if (p->pos >= p->n) return jfail(p, p->pos, "the text ends too early; expected an escape character after '\\'");
            code = p->b[p->pos++];
            switch (code) {
            case '"': one = '"'; break;
            case '\\': one = '\\'; break;
            case '/': one = '/'; break;
            case 'b': one = 0x08; break;
            case 'f': one = 0x0C; break;
            case 'n': one = 0x0A; break;
            case 'r': one = 0x0D; break;
            case 't': one = 0x09; break;
            case 'u': {
                unsigned first, scalar;
                unsigned char utf8[4];
                size_t k = 0;
                if (jhex4(p, &first) != 0) return -1;
                scalar = first;
                if (first >= 0xD800 && first <= 0xDBFF) {
                    unsigned second;
                    size_t low_start;
                    if (!(p->pos + 1 < p->n && p->b[p->pos] == '\\' && p->b[p->pos + 1] == 'u'))
                        return jfail(p, escape_start, "\\u%04X is half of a UTF-16 surrogate pair without its other half", first);
                    low_start = p->pos;
                    (void)low_start;
                    p->pos += 2;
                    if (jhex4(p, &second) != 0) return -1;
                    if (second < 0xDC00 || second > 0xDFFF)
                        return jfail(p, escape_start, "\\u%04X is half of a UTF-16 surrogate pair without its other half", first);
                    scalar = 0x10000u + ((first - 0xD800u) << 10) + (second - 0xDC00u);
                } else if (first >= 0xDC00 && first <= 0xDFFF) {
                    return jfail(p, escape_start, "\\u%04X is half of a UTF-16 surrogate pair without its other half", first);
                }
                if (scalar < 0x80) {
                    utf8[k++] = (unsigned char)scalar;
                } else if (scalar < 0x800) {
                    utf8[k++] = (unsigned char)(0xC0 | (scalar >> 6));
                    utf8[k++] = (unsigned char)(0x80 | (scalar & 0x3F));
                } else if (scalar < 0x10000) {
                    utf8[k++] = (unsigned char)(0xE0 | (scalar >> 12));
                    utf8[k++] = (unsigned char)(0x80 | ((scalar >> 6) & 0x3F));
                    utf8[k++] = (unsigned char)(0x80 | (scalar & 0x3F));
                } else {
                    utf8[k++] = (unsigned char)(0xF0 | (scalar >> 18));
                    utf8[k++] = (unsigned char)(0x80 | ((scalar >> 12) & 0x3F));
                    utf8[k++] = (unsigned char)(0x80 | ((scalar >> 6) & 0x3F));
                    utf8[k++] = (unsigned char)(0x80 | (scalar & 0x3F));
                }
                if (jpool_put(p, utf8, k) != 0) return -1;
                continue;
            }
            default: {
                char buf[16];
                return jfail(p, escape_start,
                             "invalid escape in string: '\\' followed by %s; valid escapes are \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX",
                             describe_byte(p, p->pos - 1, buf, sizeof buf));
            }
            }
            if (jpool_put(p, &one, 1) != 0) return -1;
        } else if (ch < 0x20) {
            return jfail(p, p->pos, "control character U+%04X must be escaped inside a string", ch);
        } else if (ch < 0x80) {
            if (jpool_put(p, &ch, 1) != 0) return -1;
            p->pos++;
        } else {
            /* One multi-byte UTF-8 sequence: no overlongs, no surrogates, <= U+10FFFF. */
            size_t length, k;
            unsigned char lo = 0x80, hi = 0xBF;
            if (ch >= 0xC2 && ch <= 0xDF) length = 2;
            else if (ch == 0xE0) { length = 3; lo = 0xA0; }
            else if ((ch >= 0xE1 && ch <= 0xEC) || ch == 0xEE || ch == 0xEF) length = 3;
            else if (ch == 0xED) { length = 3; hi = 0x9F; }
            else if (ch == 0xF0) { length = 4; lo = 0x90; }
            else if (ch >= 0xF1 && ch <= 0xF3) length = 4;
            else if (ch == 0xF4) { length = 4; hi = 0x8F; }
            else return jfail(p, p->pos, "the bytes are not valid UTF-8");
            if (p->n - p->pos < length) return jfail(p, p->pos, "the bytes are not valid UTF-8");
            if (p->b[p->pos + 1] < lo || p->b[p->pos + 1] > hi) return jfail(p, p->pos, "the bytes are not valid UTF-8");
            for (k = 2; k < length; k++)
                if ((p->b[p->pos + k] & 0xC0) != 0x80) return jfail(p, p->pos, "the bytes are not valid UTF-8");
            if (jpool_put(p, p->b + p->pos, length) != 0) return -1;
            p->pos += length;
        }
    }
}

static size_t jdigits(jparser *p) {
    size_t start = p->pos;
    while (p->pos < p->n && p->b[p->pos] >= '0' && p->b[p->pos] <= '9') p->pos++;
    return p->pos - start;
}

static int jnumber(jparser *p, uint32_t *out) {
    size_t start = p->pos, length;
    int is_integer = 1, negative = 0;
    unsigned char first;
    char buf[16];
    struct bnm_json *node;
    if (p->b[p->pos] == '-') {
        negative = 1;
        p->pos++;
    }
    if (p->pos >= p->n) return jfail(p, p->pos, "the text ends too early; expected a digit after '-'");
    first = p->b[p->pos];
    if (!(first >= '0' && first <= '9'))
        return jfail(p, p->pos, "invalid number: expected a digit after '-', found %s", describe_byte(p, p->pos, buf, sizeof buf));
    p->pos++;
    if (first == '0') {
        if (p->pos < p->n && p->b[p->pos] >= '0' && p->b[p->pos] <= '9')
            return jfail(p, start, "invalid number: leading zeros are not allowed");
    } else {
        jdigits(p);
    }
    if (p->pos < p->n && p->b[p->pos] == '.') {
        is_integer = 0;
        p->pos++;
        if (jdigits(p) == 0)
            return jfail(p, p->pos, "invalid number: expected a digit after the decimal point, found %s",
                         describe_byte(p, p->pos, buf, sizeof buf));
    }
    if (p->pos < p->n && (p->b[p->pos] == 'e' || p->b[p->pos] == 'E')) {
        is_integer = 0;
        p->pos++;
        if (p->pos < p->n && (p->b[p->pos] == '+' || p->b[p->pos] == '-')) p->pos++;
        if (jdigits(p) == 0)
            return jfail(p, p->pos, "invalid number: expected a digit in the exponent, found %s",
                         describe_byte(p, p->pos, buf, sizeof buf));
    }
    length = p->pos - start;
    if (length > JSON_MAX_NUMBER_LENGTH)
        return jfail(p, start, "number cannot be represented (longer than %d bytes)", JSON_MAX_NUMBER_LENGTH);
    if (jnew(p, BNM_JSON_NUMBER, out) != 0) return -1;
    node = &p->nodes[*out];
    if (is_integer) {
        /* Exactly an Int64, or else a double (as the Swift reader does). */
        uint64_t limit = negative ? (uint64_t)INT64_MAX + 1u : (uint64_t)INT64_MAX, value = 0;
        size_t k = start + (size_t)negative;
        int fits = 1;
        for (; k < p->pos; k++) {
            unsigned digit = (unsigned)(p->b[k] - '0');
            if (value > (limit - digit) / 10) {
                fits = 0;
                break;
            }
            value = value * 10 + digit;
        }
        if (fits) {
            node->is_int = 1;
            if (negative) node->i = value == (uint64_t)INT64_MAX + 1u ? INT64_MIN : -(int64_t)value;
            else node->i = (int64_t)value;
            node->d = (double)node->i;
            return 0;
        }
    }
    {
        char text[JSON_MAX_NUMBER_LENGTH + 1];
        double d;
        memcpy(text, p->b + start, length);
        text[length] = '\0';
        d = strtod(text, NULL);
        if (isinf(d) || isnan(d))
            return jfail(p, start, "number %.40s cannot be represented (too large for a 64-bit float)", text);
        node->d = d;
        node->is_int = 0;
    }
    return 0;
}

static int jliteral(jparser *p, const char *literal) {
    size_t start = p->pos, k, len = strlen(literal);
    char buf[16];
    for (k = 0; k < len; k++) {
        if (p->pos >= p->n) return jfail(p, p->pos, "the text ends too early; expected the rest of '%s'", literal);
        if (p->b[p->pos] != (unsigned char)literal[k])
            return jfail(p, p->pos, "unexpected %s; expected '%s' (started at byte %zu)",
                         describe_byte(p, p->pos, buf, sizeof buf), literal, start);
        p->pos++;
    }
    return 0;
}

static int jenter(jparser *p) {
    p->depth++;
    if (p->depth > JSON_MAX_DEPTH)
        return jfail(p, p->pos, "arrays and objects are nested deeper than the limit of %d", JSON_MAX_DEPTH);
    return 0;
}

static int jarray(jparser *p, uint32_t *out) {
    uint32_t self, last = 0;
    if (jenter(p) != 0) return -1;
    if (jnew(p, BNM_JSON_ARRAY, &self) != 0) return -1;
    *out = self;
    p->pos++;
    jskip_ws(p);
    if (p->pos < p->n && p->b[p->pos] == ']') {
        p->pos++;
        p->depth--;
        return 0;
    }
    for (;;) {
        uint32_t child;
        jskip_ws(p);
        if (p->pos < p->n && p->b[p->pos] == ']')
            return jfail(p, p->pos, "unexpected ']'; expected a value (trailing commas are not allowed)");
        if (jvalue(p, &child) != 0) return -1;
        p->nodes[child].parent_i = self;
        if (last == 0) p->nodes[self].first_i = child;
        else p->nodes[last].next_i = child;
        last = child;
        if (p->nodes[self].len == UINT32_MAX) return jnomem(p);
        p->nodes[self].len++;
        jskip_ws(p);
        if (p->pos >= p->n) return jfail(p, p->pos, "the text ends too early; expected ',' or ']' to continue the array");
        if (p->b[p->pos] == ',') {
            p->pos++;
        } else if (p->b[p->pos] == ']') {
            p->pos++;
            p->depth--;
            return 0;
        } else {
            return junexpected(p, "',' or ']' after an array element");
        }
    }
}

static int jobject(jparser *p, uint32_t *out) {
    uint32_t self, last = 0;
    if (jenter(p) != 0) return -1;
    if (jnew(p, BNM_JSON_OBJECT, &self) != 0) return -1;
    *out = self;
    p->pos++;
    jskip_ws(p);
    if (p->pos < p->n && p->b[p->pos] == '}') {
        p->pos++;
        p->depth--;
        return 0;
    }
    for (;;) {
        size_t key_offset, key_len;
        const char *key;
        uint32_t child;
        char buf[16];
        jskip_ws(p);
        if (p->pos >= p->n) return jfail(p, p->pos, "the text ends too early; expected a key string");
        if (p->b[p->pos] != '"') {
            if (p->b[p->pos] == '}')
                return jfail(p, p->pos, "unexpected '}'; expected a key string (trailing commas are not allowed)");
            return junexpected(p, "a key string in double quotes");
        }
        key_offset = p->pos;
        if (jstring(p, &key, &key_len) != 0) return -1;
        if (key_len > UINT32_MAX) return jnomem(p);
        if (jhas_key(p, self, key, key_len))
            return jfail(p, key_offset, "duplicate key \"%s\" in object", PNAME(key, key_len, buf));
        jskip_ws(p);
        if (!(p->pos < p->n && p->b[p->pos] == ':')) return junexpected(p, "':' after a key");
        p->pos++;
        jskip_ws(p);
        if (jvalue(p, &child) != 0) return -1;
        p->nodes[child].parent_i = self;
        p->nodes[child].key = key;
        p->nodes[child].key_len = (uint32_t)key_len;
        if (jadd_key(p, child) != 0) return -1;
        if (last == 0) p->nodes[self].first_i = child;
        else p->nodes[last].next_i = child;
        last = child;
        if (p->nodes[self].len == UINT32_MAX) return jnomem(p);
        p->nodes[self].len++;
        jskip_ws(p);
        if (p->pos >= p->n) return jfail(p, p->pos, "the text ends too early; expected ',' or '}' to continue the object");
        if (p->b[p->pos] == ',') {
            p->pos++;
        } else if (p->b[p->pos] == '}') {
            p->pos++;
            p->depth--;
            return 0;
        } else {
            return junexpected(p, "',' or '}' after an object member");
        }
    }
}

static int jvalue(jparser *p, uint32_t *out) {
    unsigned char ch;
    if (p->pos >= p->n) return jfail(p, p->pos, "the text ends too early; expected a value");
    ch = p->b[p->pos];
    if (ch == '{') return jobject(p, out);
    if (ch == '[') return jarray(p, out);
    if (ch == '"') {
        const char *s;
        size_t len;
        if (jstring(p, &s, &len) != 0) return -1;
        if (len > UINT32_MAX) return jnomem(p);
        if (jnew(p, BNM_JSON_STRING, out) != 0) return -1;
        p->nodes[*out].str = s;
        p->nodes[*out].len = (uint32_t)len;
        return 0;
    }
    if (ch == '-' || (ch >= '0' && ch <= '9')) return jnumber(p, out);
    if (ch == 't') {
        if (jliteral(p, "true") != 0) return -1;
        if (jnew(p, BNM_JSON_BOOL, out) != 0) return -1;
        p->nodes[*out].i = 1;
        return 0;
    }
    if (ch == 'f') {
        if (jliteral(p, "false") != 0) return -1;
        return jnew(p, BNM_JSON_BOOL, out);
    }
    if (ch == 'n') {
        if (jliteral(p, "null") != 0) return -1;
        return jnew(p, BNM_JSON_NULL, out);
    }
    return junexpected(p, "a value (object, array, string, number, true, false or null)");
}

/* Parses bytes[0..n) strictly. On success p->nodes[0] is the root and pointers are linked. */
static int jparse(jparser *p) {
    uint32_t root;
    size_t k;
    jskip_ws(p);
    if (p->pos >= p->n) return jfail(p, p->pos, "the text is empty; expected a JSON value");
    if (jvalue(p, &root) != 0) return -1;
    jskip_ws(p);
    if (p->pos != p->n) {
        char buf[16];
        unsigned char ch = p->b[p->pos];
        if (ch == ',' || ch == ']' || ch == '}')
            return jfail(p, p->pos, "unexpected %s; expected end of text after the complete value",
                         describe_byte(p, p->pos, buf, sizeof buf));
        return jfail(p, p->pos, "unexpected text after the end of the JSON value");
    }
    for (k = 0; k < p->count; k++) {
        struct bnm_json *node = &p->nodes[k];
        node->first = node->first_i != 0 ? &p->nodes[node->first_i] : NULL;
        node->next = node->next_i != 0 ? &p->nodes[node->next_i] : NULL;
    }
    return 0;
}

/* Public JSON accessors. */
bnm_json_type bnm_json_type_of(const bnm_json *v) { return v != NULL ? (bnm_json_type)v->type : BNM_JSON_NULL; }
size_t bnm_json_count(const bnm_json *v) {
    return v != NULL && (v->type == BNM_JSON_ARRAY || v->type == BNM_JSON_OBJECT) ? v->len : 0;
}
const bnm_json *bnm_json_at(const bnm_json *v, size_t index) {
    const bnm_json *c;
    if (v == NULL || (v->type != BNM_JSON_ARRAY && v->type != BNM_JSON_OBJECT) || index >= v->len) return NULL;
    for (c = v->first; c != NULL && index > 0; index--) c = c->next;
    return c;
}
const char *bnm_json_key_at(const bnm_json *v, size_t index) {
    const bnm_json *c;
    if (v == NULL || v->type != BNM_JSON_OBJECT) return NULL;
    c = bnm_json_at(v, index);
    return c != NULL ? c->key : NULL;
}
static const bnm_json *json_member(const bnm_json *object, const char *key, size_t len) {
    const bnm_json *c;
    if (object == NULL || object->type != BNM_JSON_OBJECT) return NULL;
    for (c = object->first; c != NULL; c = c->next)
        if (c->key_len == len && memcmp(c->key, key, len) == 0) return c;
    return NULL;
}
const bnm_json *bnm_json_get(const bnm_json *object, const char *key) {
    return key != NULL ? json_member(object, key, strlen(key)) : NULL;
}
int bnm_json_is_int(const bnm_json *v) { return v != NULL && v->type == BNM_JSON_NUMBER && v->is_int; }
int64_t bnm_json_int(const bnm_json *v) { return bnm_json_is_int(v) ? v->i : 0; }
double bnm_json_number(const bnm_json *v) { return v != NULL && v->type == BNM_JSON_NUMBER ? v->d : 0.0; }
int bnm_json_bool(const bnm_json *v) { return v != NULL && v->type == BNM_JSON_BOOL && v->i != 0; }
const char *bnm_json_string(const bnm_json *v, size_t *length) {
    if (v == NULL || v->type != BNM_JSON_STRING) return NULL;
    if (length != NULL) *length = v->len;
    return v->str;
}

/* ---------------------------------------------------------------- the file */

typedef struct tensor_ref {
    bnm_str role;
    bnm_str tensor;
    size_t index; /* into file->tensors, set by the reference check */
} tensor_ref;

struct bnm_layer {
    bnm_str name;
    bnm_str kind;
    bnm_kind kind_id;
    bnm_bn_mode bn_mode;
    size_t n_inbound;
    bnm_str *inbound;
    int has_output_shape;
    size_t out_rank;
    int64_t *out_dims;
    const bnm_json *attributes;
    size_t n_refs;
    tensor_ref *refs;
    const bnm_file *file;
    double normalize_epsilon;
    int64_t groups; /* conv2d: the attribute, 1 when absent; 0 for other kinds */
};

struct bnm_file {
    char *path;
    const unsigned char *bytes;
    size_t size;
    void *map;
    size_t map_size;
    uint16_t major, minor;
    uint32_t flags;
    uint64_t manifest_offset, manifest_length, data_offset, data_length;
    uint32_t manifest_crc;
    struct bnm_json *nodes;
    char *pool;
    arena arena;
    bnm_str model_name;
    size_t n_inputs, n_outputs, n_notes;
    bnm_str *inputs, *outputs;
    size_t n_layers;
    struct bnm_layer *layers;
    size_t n_tensors;
    bnm_tensor *tensors;
    strmap tensor_map, layer_map;
};

/* ---------------------------------------------------------------- header (rules 1-6) */

/* FORMAT.md "Text-mode damage": the bytes a damaged file starts with, in the order tried. A
 * pattern counts only when the file holds all of its bytes. */
static const struct {
    unsigned char len;
    unsigned char bytes[10];
    const char *detail;
} TEXT_MODE_PATTERNS[] = {
    {4, {0x09, 0x42, 0x4E, 0x4D}, "the high bit of the first byte was stripped (7-bit transfer)"},
    {7, {0x89, 0x42, 0x4E, 0x4D, 0x0A, 0x1A, 0x0A}, "CR LF was converted to LF"},
    {10, {0x89, 0x42, 0x4E, 0x4D, 0x0D, 0x0D, 0x0A, 0x1A, 0x0D, 0x0A}, "LF was converted to CR LF"},
    {9, {0x89, 0x42, 0x4E, 0x4D, 0x0D, 0x0A, 0x1A, 0x0D, 0x0A}, "LF was converted to CR LF"},
    {7, {0x89, 0x42, 0x4E, 0x4D, 0x0D, 0x1A, 0x0D}, "line endings were converted to CR"},
    {8, {0x89, 0x42, 0x4E, 0x4D, 0x0D, 0x0D, 0x1A, 0x0D}, "line endings were converted to CR"},
    {8, {0x89, 0x42, 0x4E, 0x4D, 0x0A, 0x0A, 0x1A, 0x0A}, "line endings were converted to LF"},
};

static const char *text_mode_damage(const unsigned char *b, size_t size) {
    size_t k;
    for (k = 0; k < sizeof TEXT_MODE_PATTERNS / sizeof TEXT_MODE_PATTERNS[0]; k++)
        if (size >= TEXT_MODE_PATTERNS[k].len && memcmp(b, TEXT_MODE_PATTERNS[k].bytes, TEXT_MODE_PATTERNS[k].len) == 0)
            return TEXT_MODE_PATTERNS[k].detail;
    return NULL;
}

static int check_header(ctx *c, bnm_file *f) {
    const unsigned char *b = f->bytes;
    size_t size = f->size, prefix = size < 8 ? size : 8;
    uint32_t stored, actual;
    uint64_t manifest_end, data_end;
    if (memcmp(b, MAGIC, prefix) != 0) {
        const char *damage = text_mode_damage(b, size);
        if (damage != NULL)
            return fail(c, BNM_FILE007, BNM_RULE_TEXT_MODE_DAMAGE, 0, "",
                        "file was damaged by a text-mode transfer (%s); transfer it again in binary mode", damage);
        {
            char hex[40] = "";
            size_t k, n = 0;
            for (k = 0; k < prefix; k++) n += (size_t)snprintf(hex + n, sizeof hex - n, k ? " %02x" : "%02x", b[k]);
            return fail(c, BNM_FILE008, BNM_RULE_BAD_MAGIC, 0, "", "not a .bnm file (first bytes %s)", hex);
        }
    }
    if (size < 12)
        return fail(c, BNM_FILE003, BNM_RULE_TRUNCATED, size, "",
                    "file is truncated: the header needs %u bytes but the file has %zu", HEADER_SIZE, size);
    f->major = le16(b + 8);
    if (f->major != BNM_READER_MAJOR)
        return fail(c, BNM_FILE008, BNM_RULE_UNSUPPORTED_MAJOR_VERSION, 8, "",
                    "format major version %u is not supported (this reader reads %d)", f->major, BNM_READER_MAJOR);
    if (size < HEADER_SIZE)
        return fail(c, BNM_FILE003, BNM_RULE_TRUNCATED, size, "",
                    "file is truncated: the header needs %u bytes but the file has %zu", HEADER_SIZE, size);
    stored = le32(b + 60);
    actual = bnm_crc32(0, b, 60);
    if (stored != actual)
        return fail(c, BNM_FILE002, BNM_RULE_HEADER_CHECKSUM_MISMATCH, 60, "",
                    "header is damaged (header CRC-32 is %08x, stored %08x)", actual, stored);
    f->minor = le16(b + 10);
    f->flags = le32(b + 12);
    f->manifest_offset = le64(b + 16);
    f->manifest_length = le64(b + 24);
    f->data_offset = le64(b + 32);
    f->data_length = le64(b + 40);
    f->manifest_crc = le32(b + 48);
    if ((f->flags & REQUIRED_FLAGS_MASK) != 0)
        return fail(c, BNM_FILE008, BNM_RULE_UNSUPPORTED_REQUIRED_FLAGS, 12, "",
                    "the file needs features this reader does not have (required flags 0x%04x)",
                    (unsigned)(f->flags & REQUIRED_FLAGS_MASK));
    /* Rule 4: the reserved bytes are zero in the minors this reader knows (a newer minor may use them). */
    if (f->minor <= BNM_READER_MINOR) {
        size_t k;
        for (k = 52; k < 60; k++)
            if (b[k] != 0)
                return fail(c, BNM_FILE006, BNM_RULE_NON_ZERO_PADDING, k, "",
                            "reserved header byte at offset %zu is not zero (a version 1.0 writer writes zeros)", k);
    }
    if (f->manifest_offset > MAX_INT53)
        return fail(c, BNM_FILE003, BNM_RULE_INVALID_HEADER_FIELD, 16, "",
                    "header field manifest_offset = %llu exceeds 2^53", (unsigned long long)f->manifest_offset);
    if (f->data_offset > MAX_INT53)
        return fail(c, (f->data_offset % ALIGNMENT) != 0 ? BNM_FILE004 : BNM_FILE003, BNM_RULE_INVALID_HEADER_FIELD, 32, "",
                    "header field data_offset = %llu exceeds 2^53", (unsigned long long)f->data_offset);
    if (f->data_length > MAX_INT53)
        return fail(c, BNM_FILE003, BNM_RULE_INVALID_HEADER_FIELD, 40, "",
                    "header field data_length = %llu exceeds 2^53", (unsigned long long)f->data_length);
    if (f->manifest_offset < HEADER_SIZE)
        return fail(c, BNM_FILE003, BNM_RULE_INVALID_HEADER_FIELD, 16, "",
                    "header field manifest_offset = %llu must be at least 64 (the manifest follows the header)",
                    (unsigned long long)f->manifest_offset);
    if (f->minor <= BNM_READER_MINOR && f->manifest_offset != HEADER_SIZE)
        return fail(c, BNM_FILE003, BNM_RULE_INVALID_HEADER_FIELD, 16, "",
                    "header field manifest_offset = %llu must be 64 in a file of version 1.%u (the manifest follows the header directly)",
                    (unsigned long long)f->manifest_offset, f->minor);
    if (f->manifest_length > MAX_MANIFEST_LENGTH)
        return fail(c, BNM_FILE003, BNM_RULE_MANIFEST_TOO_LARGE, 24, "",
                    "manifest is %llu bytes, more than the limit of %llu", (unsigned long long)f->manifest_length,
                    (unsigned long long)MAX_MANIFEST_LENGTH);
    /* Each is <= 2^53 now, so the sums cannot overflow 64 bits. */
    manifest_end = f->manifest_offset + f->manifest_length;
    data_end = f->data_offset + f->data_length;
    if (f->data_offset % ALIGNMENT != 0)
        return fail(c, BNM_FILE004, BNM_RULE_INVALID_HEADER_FIELD, 32, "",
                    "header field data_offset = %llu must be a multiple of 64", (unsigned long long)f->data_offset);
    if (f->data_offset < manifest_end)
        return fail(c, BNM_FILE003, BNM_RULE_INVALID_HEADER_FIELD, 32, "",
                    "header field data_offset = %llu must not be inside the manifest (which ends at %llu)",
                    (unsigned long long)f->data_offset, (unsigned long long)manifest_end);
    /* manifest_end <= 2^53 + 2^26: rounding up cannot overflow. */
    if (f->data_offset != (manifest_end + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT)
        return fail(c, BNM_FILE003, BNM_RULE_INVALID_HEADER_FIELD, 32, "",
                    "header field data_offset = %llu must be the manifest's end rounded up to a multiple of 64 (%llu): at most 63 padding bytes",
                    (unsigned long long)f->data_offset, (unsigned long long)((manifest_end + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT));
    if (manifest_end > (uint64_t)size)
        return fail(c, BNM_FILE003, BNM_RULE_TRUNCATED, size, "",
                    "file is truncated: the manifest needs %llu bytes but the file has %zu", (unsigned long long)manifest_end, size);
    if (data_end > (uint64_t)size)
        return fail(c, BNM_FILE003, BNM_RULE_TRUNCATED, size, "",
                    "file is truncated: the data section needs %llu bytes but the file has %zu", (unsigned long long)data_end, size);
    if (data_end != (uint64_t)size)
        return fail(c, BNM_FILE003, BNM_RULE_TRAILING_BYTES, data_end, "",
                    "file has %llu bytes after the data section (expected size %llu, actual %zu)",
                    (unsigned long long)((uint64_t)size - data_end), (unsigned long long)data_end, size);
    return 0;
}

/* ---------------------------------------------------------------- manifest decoding (rule 9) */

#define MAX_ASKED 16

typedef struct mobj {
    const bnm_json *node;
    char ptr[256];
    int strict;
    const char *asked[MAX_ASKED];
    int n_asked;
} mobj;

typedef struct dctx {
    ctx *c;
    bnm_file *f;
    int strict;
} dctx;

/* pointer + "/" + escaped token */
static void ptr_join(char *out, size_t cap, const char *base, const char *token, size_t len) {
    size_t n = (size_t)snprintf(out, cap, "%s/", base), k;
    if (n >= cap) return;
    for (k = 0; k < len && n + 3 < cap; k++) {
        char ch = token[k];
        if (ch == '~') { out[n++] = '~'; out[n++] = '0'; }
        else if (ch == '/') { out[n++] = '~'; out[n++] = '1'; }
        else out[n++] = (ch == '\0') ? '?' : ch;
    }
    out[n] = '\0';
}

static void ptr_index(char *out, size_t cap, const char *base, size_t index) {
    snprintf(out, cap, "%s/%zu", base, index);
}

static int schema_fail(dctx *d, const char *pointer, const char *fmt, ...) BNM_PRINTF(3, 4);
static int schema_fail(dctx *d, const char *pointer, const char *fmt, ...) {
    char what[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return fail(d->c, BNM_FILE005, BNM_RULE_MANIFEST_SCHEMA, BNM_NO_OFFSET, pointer,
                "manifest field '%s' %s", pointer, what);
}

static const char *type_name(const bnm_json *v) {
    switch (v->type) {
    case BNM_JSON_NULL: return "null";
    case BNM_JSON_BOOL: return "a boolean";
    case BNM_JSON_NUMBER: return v->is_int ? "an integer" : "a number";
    case BNM_JSON_STRING: return "a string";
    case BNM_JSON_ARRAY: return "an array";
    default: return "an object";
    }
}

static int mobj_init(dctx *d, mobj *m, const bnm_json *node, const char *pointer) {
    m->node = node;
    m->strict = d->strict;
    m->n_asked = 0;
    snprintf(m->ptr, sizeof m->ptr, "%s", pointer);
    if (node->type != BNM_JSON_OBJECT) return schema_fail(d, pointer, "must be an object, found %s", type_name(node));
    return 0;
}

static void mobj_path(const mobj *m, const char *key, char *out, size_t cap) { ptr_join(out, cap, m->ptr, key, strlen(key)); }

static const bnm_json *mobj_optional(mobj *m, const char *key) {
    if (m->n_asked < MAX_ASKED) m->asked[m->n_asked++] = key;
    return bnm_json_get(m->node, key);
}

static int mobj_value(dctx *d, mobj *m, const char *key, const bnm_json **out) {
    const bnm_json *v = mobj_optional(m, key);
    if (v == NULL) {
        char p[300];
        mobj_path(m, key, p, sizeof p);
        return schema_fail(d, p, "is required but missing");
    }
    *out = v;
    return 0;
}

static int as_string(dctx *d, const bnm_json *v, const char *pointer, bnm_str *out) {
    if (v->type != BNM_JSON_STRING) return schema_fail(d, pointer, "must be a string, found %s", type_name(v));
    out->s = v->str;
    out->len = v->len;
    return 0;
}

static int as_int(dctx *d, const bnm_json *v, const char *pointer, int64_t min, int64_t max, int64_t *out) {
    if (!(v->type == BNM_JSON_NUMBER && v->is_int)) return schema_fail(d, pointer, "must be an integer, found %s", type_name(v));
    if (v->i < min || v->i > max)
        return schema_fail(d, pointer, "is %lld, outside %lld...%lld", (long long)v->i, (long long)min, (long long)max);
    *out = v->i;
    return 0;
}

static int as_double(dctx *d, const bnm_json *v, const char *pointer, double *out) {
    if (v->type != BNM_JSON_NUMBER) return schema_fail(d, pointer, "must be a number, found %s", type_name(v));
    *out = v->d;
    return 0;
}

static int mobj_string(dctx *d, mobj *m, const char *key, bnm_str *out) {
    const bnm_json *v;
    char p[300];
    if (mobj_value(d, m, key, &v) != 0) return -1;
    mobj_path(m, key, p, sizeof p);
    return as_string(d, v, p, out);
}

static int mobj_bool(dctx *d, mobj *m, const char *key) {
    const bnm_json *v;
    char p[300];
    if (mobj_value(d, m, key, &v) != 0) return -1;
    mobj_path(m, key, p, sizeof p);
    if (v->type != BNM_JSON_BOOL) return schema_fail(d, p, "must be a boolean");
    return 0;
}

static int mobj_int(dctx *d, mobj *m, const char *key, int64_t min, int64_t max, int64_t *out) {
    const bnm_json *v;
    char p[300];
    if (mobj_value(d, m, key, &v) != 0) return -1;
    mobj_path(m, key, p, sizeof p);
    return as_int(d, v, p, min, max, out);
}

static int mobj_double(dctx *d, mobj *m, const char *key, double *out) {
    const bnm_json *v;
    char p[300];
    if (mobj_value(d, m, key, &v) != 0) return -1;
    mobj_path(m, key, p, sizeof p);
    return as_double(d, v, p, out);
}

static int mobj_array(dctx *d, mobj *m, const char *key, const bnm_json **out) {
    const bnm_json *v;
    char p[300];
    if (mobj_value(d, m, key, &v) != 0) return -1;
    if (v->type != BNM_JSON_ARRAY) {
        mobj_path(m, key, p, sizeof p);
        return schema_fail(d, p, "must be an array");
    }
    *out = v;
    return 0;
}

/* An array of integers in min...2^53 (count: required length, or -1). dims/rank optional. */
static int mobj_ints(dctx *d, mobj *m, const char *key, long count, int64_t min, int64_t **dims, size_t *rank) {
    const bnm_json *arr, *item;
    char p[300], q[320];
    size_t k = 0;
    if (mobj_array(d, m, key, &arr) != 0) return -1;
    mobj_path(m, key, p, sizeof p);
    if (count >= 0 && arr->len != (size_t)count)
        return schema_fail(d, p, "must have %ld elements, found %u", count, arr->len);
    if (dims != NULL) {
        *dims = (int64_t *)arena_array(&d->f->arena, arr->len, sizeof(int64_t));
        if (*dims == NULL) return fail_nomem(d->c);
        *rank = arr->len;
    }
    for (item = arr->first; item != NULL; item = item->next, k++) {
        int64_t value;
        ptr_index(q, sizeof q, p, k);
        if (as_int(d, item, q, min, (int64_t)MAX_INT53, &value) != 0) return -1;
        if (dims != NULL) (*dims)[k] = value;
    }
    return 0;
}

static int mobj_strings(dctx *d, mobj *m, const char *key, bnm_str **out, size_t *count) {
    const bnm_json *arr, *item;
    char p[300], q[320];
    size_t k = 0;
    if (mobj_array(d, m, key, &arr) != 0) return -1;
    mobj_path(m, key, p, sizeof p);
    *out = (bnm_str *)arena_array(&d->f->arena, arr->len, sizeof(bnm_str));
    if (*out == NULL) return fail_nomem(d->c);
    *count = arr->len;
    for (item = arr->first; item != NULL; item = item->next, k++) {
        ptr_index(q, sizeof q, p, k);
        if (as_string(d, item, q, &(*out)[k]) != 0) return -1;
    }
    return 0;
}

static int mobj_object(dctx *d, mobj *m, const char *key, mobj *out) {
    const bnm_json *v;
    char p[300];
    if (mobj_value(d, m, key, &v) != 0) return -1;
    mobj_path(m, key, p, sizeof p);
    return mobj_init(d, out, v, p);
}

/* With strict, every key must have been asked for (additionalProperties: false). */
static int mobj_finish(dctx *d, const mobj *m) {
    const bnm_json *c;
    if (!m->strict) return 0;
    for (c = m->node->first; c != NULL; c = c->next) {
        int k, known = 0;
        for (k = 0; k < m->n_asked && !known; k++) known = str_eq(c->key, c->key_len, m->asked[k]);
        if (!known) {
            char p[300];
            ptr_join(p, sizeof p, m->ptr, c->key, c->key_len);
            return schema_fail(d, p, "is not a field this version of the format defines");
        }
    }
    return 0;
}

static const char *const ACTIVATION_PLAIN[] = {"linear", "relu", "relu6", "sigmoid", "tanh", "hard_sigmoid",
                                              "hard_sigmoid_legacy", "swish", "hard_swish", "selu", "softplus",
                                              "softsign", "exponential", "mish"};

static int decode_activation(dctx *d, mobj *attrs) {
    const bnm_json *v;
    mobj a;
    bnm_str name;
    char p[300];
    size_t k;
    int known = 0;
    double x;
    if (mobj_value(d, attrs, "activation", &v) != 0) return -1;
    mobj_path(attrs, "activation", p, sizeof p);
    if (mobj_init(d, &a, v, p) != 0) return -1;
    if (mobj_string(d, &a, "name", &name) != 0) return -1;
    for (k = 0; k < sizeof ACTIVATION_PLAIN / sizeof ACTIVATION_PLAIN[0]; k++)
        if (str_eq(name.s, name.len, ACTIVATION_PLAIN[k])) known = 1;
    if (!known) {
        if (str_eq(name.s, name.len, "leaky_relu") || str_eq(name.s, name.len, "elu")) {
            if (mobj_double(d, &a, "alpha", &x) != 0) return -1;
        } else if (str_eq(name.s, name.len, "clipped_relu")) {
            const bnm_json *max_value;
            if (mobj_value(d, &a, "max_value", &max_value) != 0) return -1;
            if (max_value->type != BNM_JSON_NULL) {
                char q[320];
                mobj_path(&a, "max_value", q, sizeof q);
                if (as_double(d, max_value, q, &x) != 0) return -1;
            }
            if (mobj_double(d, &a, "negative_slope", &x) != 0) return -1;
            if (mobj_double(d, &a, "threshold", &x) != 0) return -1;
        } else if (str_eq(name.s, name.len, "softmax")) {
            int64_t axis;
            if (mobj_int(d, &a, "axis", -8, 8, &axis) != 0) return -1;
        } else if (str_eq(name.s, name.len, "gelu")) {
            if (mobj_bool(d, &a, "approximate") != 0) return -1;
        } else {
            char buf[100], q[320];
            mobj_path(&a, "name", q, sizeof q);
            return schema_fail(d, q, "'%s' is not a known activation", PNAME(name.s, name.len, buf));
        }
    }
    return mobj_finish(d, &a);
}

static const char *const KIND_NAMES[] = {
    "input", "conv2d", "depthwise_conv2d", "separable_conv2d", "dense", "batch_norm", "activation",
    "max_pool2d", "avg_pool2d", "global_avg_pool2d", "global_max_pool2d", "flatten", "reshape", "add",
    "concatenate", "zero_padding2d", "dropout", "rescale", "multiply", "upsample2d", "cropping2d",
    "normalize", "unmapped", "layer_norm"}; /* indexed by bnm_kind: new kinds are appended (bnm.h) */
/* One name per bnm_kind value (a compile error otherwise). */
typedef char kind_names_match_enum[sizeof KIND_NAMES / sizeof KIND_NAMES[0] == BNM_KIND_LAYER_NORM + 1 ? 1 : -1];

/* Conv-style attribute sets: [filters] [depth_multiplier] kernel_size strides dilation padding use_bias activation.
 * *filters_out gets filters (when read). */
static int decode_conv(dctx *d, mobj *a, int filters, int depth_multiplier, int64_t *filters_out) {
    int64_t x;
    const int64_t max = (int64_t)MAX_INT53;
    if (filters && mobj_int(d, a, "filters", 1, max, filters_out) != 0) return -1;
    if (depth_multiplier && mobj_int(d, a, "depth_multiplier", 1, max, &x) != 0) return -1;
    if (mobj_ints(d, a, "kernel_size", 2, 1, NULL, NULL) != 0) return -1;
    if (mobj_ints(d, a, "strides", 2, 1, NULL, NULL) != 0) return -1;
    if (mobj_ints(d, a, "dilation", 2, 1, NULL, NULL) != 0) return -1;
    if (mobj_ints(d, a, "padding", 4, 0, NULL, NULL) != 0) return -1;
    if (mobj_bool(d, a, "use_bias") != 0) return -1;
    return decode_activation(d, a);
}

static int decode_attributes(dctx *d, struct bnm_layer *layer, mobj *a, const char *kind_pointer) {
    const int64_t max = (int64_t)MAX_INT53;
    int64_t x;
    double y;
    size_t k;
    bnm_str kind = layer->kind;
    for (k = 0; k < sizeof KIND_NAMES / sizeof KIND_NAMES[0]; k++)
        if (str_eq(kind.s, kind.len, KIND_NAMES[k])) break;
    if (k == sizeof KIND_NAMES / sizeof KIND_NAMES[0]) {
        char buf[100];
        return schema_fail(d, kind_pointer, "'%s' is not a known layer kind", PNAME(kind.s, kind.len, buf));
    }
    layer->kind_id = (bnm_kind)k;
    switch (layer->kind_id) {
    case BNM_KIND_INPUT:
        if (mobj_ints(d, a, "shape", -1, 0, NULL, NULL) != 0) return -1;
        break;
    case BNM_KIND_CONV2D: {
        /* groups: optional (absent = 1), 1...2^53, and it divides filters, as the Swift decoder
         * checks (its message); that it divides the input's channels is a shape rule, not a
         * reader rule. Read after the activation, in the Swift decoder's order. */
        const bnm_json *groups;
        int64_t filters = 1;
        if (decode_conv(d, a, 1, 0, &filters) != 0) return -1;
        layer->groups = 1;
        groups = mobj_optional(a, "groups");
        if (groups != NULL) {
            char p[300];
            mobj_path(a, "groups", p, sizeof p);
            if (as_int(d, groups, p, 1, max, &layer->groups) != 0) return -1;
            if (filters % layer->groups != 0)
                return schema_fail(d, p, "must divide filters = %lld, got %lld", (long long)filters, (long long)layer->groups);
        }
        break;
    }
    case BNM_KIND_DEPTHWISE_CONV2D:
        if (decode_conv(d, a, 0, 1, NULL) != 0) return -1;
        break;
    case BNM_KIND_SEPARABLE_CONV2D:
        if (decode_conv(d, a, 1, 1, &x) != 0) return -1;
        break;
    case BNM_KIND_DENSE:
        if (mobj_int(d, a, "units", 1, max, &x) != 0) return -1;
        if (mobj_bool(d, a, "use_bias") != 0) return -1;
        if (decode_activation(d, a) != 0) return -1;
        break;
    case BNM_KIND_BATCH_NORM: {
        bnm_str mode;
        const bnm_json *materialized, *item;
        char p[300], q[320];
        int seen_gamma = 0, seen_beta = 0;
        if (mobj_string(d, a, "mode", &mode) != 0) return -1;
        if (str_eq(mode.s, mode.len, "spatial")) layer->bn_mode = BNM_BN_SPATIAL;
        else if (str_eq(mode.s, mode.len, "per_activation")) layer->bn_mode = BNM_BN_PER_ACTIVATION;
        else {
            char buf[100];
            mobj_path(a, "mode", p, sizeof p);
            return schema_fail(d, p, "must be 'spatial' or 'per_activation', found '%s'", PNAME(mode.s, mode.len, buf));
        }
        if (mobj_array(d, a, "materialized", &materialized) != 0) return -1;
        mobj_path(a, "materialized", p, sizeof p);
        k = 0;
        for (item = materialized->first; item != NULL; item = item->next, k++) {
            bnm_str role;
            int ok;
            ptr_index(q, sizeof q, p, k);
            if (as_string(d, item, q, &role) != 0) return -1;
            if (str_eq(role.s, role.len, "gamma")) ok = !seen_gamma++;
            else if (str_eq(role.s, role.len, "beta")) ok = !seen_beta++;
            else ok = 0;
            if (!ok) return schema_fail(d, q, "must be 'gamma' or 'beta', each at most once");
        }
        if (mobj_double(d, a, "epsilon", &y) != 0) return -1;
        if (mobj_double(d, a, "momentum", &y) != 0) return -1;
        break;
    }
    case BNM_KIND_ACTIVATION:
        if (decode_activation(d, a) != 0) return -1;
        break;
    case BNM_KIND_MAX_POOL2D:
    case BNM_KIND_AVG_POOL2D:
        if (mobj_ints(d, a, "pool_size", 2, 1, NULL, NULL) != 0) return -1;
        if (mobj_ints(d, a, "strides", 2, 1, NULL, NULL) != 0) return -1;
        if (mobj_ints(d, a, "padding", 4, 0, NULL, NULL) != 0) return -1;
        if (mobj_bool(d, a, "count_includes_padding") != 0) return -1;
        break;
    case BNM_KIND_GLOBAL_AVG_POOL2D:
    case BNM_KIND_GLOBAL_MAX_POOL2D:
        if (mobj_bool(d, a, "keep_dims") != 0) return -1;
        break;
    case BNM_KIND_FLATTEN:
    case BNM_KIND_ADD:
    case BNM_KIND_MULTIPLY:
        break;
    case BNM_KIND_RESHAPE: {
        int64_t *dims;
        size_t rank, j;
        int64_t minus_ones = 0;
        if (mobj_ints(d, a, "target_shape", -1, -1, &dims, &rank) != 0) return -1;
        for (j = 0; j < rank; j++)
            if (dims[j] == -1) minus_ones++;
        /* At most one -1: the schema's maxContains, checked while decoding as the Swift reader does. */
        if (minus_ones > 1) {
            char p[300];
            mobj_path(a, "target_shape", p, sizeof p);
            return schema_fail(d, p, "must hold sizes >= 0 and at most one -1, found %lld", (long long)minus_ones);
        }
        break;
    }
    case BNM_KIND_CONCATENATE:
        if (mobj_int(d, a, "axis", -8, 8, &x) != 0) return -1;
        break;
    case BNM_KIND_ZERO_PADDING2D:
        if (mobj_ints(d, a, "padding", 4, 0, NULL, NULL) != 0) return -1;
        break;
    case BNM_KIND_DROPOUT:
        if (mobj_double(d, a, "rate", &y) != 0) return -1;
        break;
    case BNM_KIND_RESCALE:
        if (mobj_double(d, a, "scale", &y) != 0) return -1;
        if (mobj_double(d, a, "offset", &y) != 0) return -1;
        break;
    case BNM_KIND_NORMALIZE:
        if (mobj_double(d, a, "epsilon", &layer->normalize_epsilon) != 0) return -1;
        if (!(layer->normalize_epsilon >= 0)) {
            char p[300];
            mobj_path(a, "epsilon", p, sizeof p);
            return schema_fail(d, p, "must be at least 0, found %g", layer->normalize_epsilon);
        }
        break;
    case BNM_KIND_LAYER_NORM:
        /* epsilon > 0 (exclusiveMinimum): a position whose channels agree has variance 0. */
        if (mobj_double(d, a, "epsilon", &y) != 0) return -1;
        if (!(isfinite(y) && y > 0)) {
            char p[300];
            mobj_path(a, "epsilon", p, sizeof p);
            return schema_fail(d, p, "must be finite and > 0, found %g", y);
        }
        break;
    case BNM_KIND_UPSAMPLE2D:
        if (mobj_ints(d, a, "size", 2, 1, NULL, NULL) != 0) return -1;
        break;
    case BNM_KIND_CROPPING2D:
        if (mobj_ints(d, a, "cropping", 4, 0, NULL, NULL) != 0) return -1;
        break;
    case BNM_KIND_UNMAPPED: {
        bnm_str class_name;
        const bnm_json *config;
        if (mobj_string(d, a, "class_name", &class_name) != 0) return -1;
        if (mobj_value(d, a, "config", &config) != 0) return -1;
        break;
    }
    }
    return mobj_finish(d, a);
}

static int decode_layer(dctx *d, const bnm_json *node, size_t index, struct bnm_layer *layer) {
    mobj o, attrs;
    char base[64], p[300], q[320];
    const bnm_json *refs, *item;
    size_t k = 0;
    snprintf(base, sizeof base, "/model/layers/%zu", index);
    layer->file = d->f;
    if (mobj_init(d, &o, node, base) != 0) return -1;
    if (mobj_string(d, &o, "name", &layer->name) != 0) return -1;
    if (mobj_string(d, &o, "kind", &layer->kind) != 0) return -1;
    if (mobj_strings(d, &o, "inbound", &layer->inbound, &layer->n_inbound) != 0) return -1;
    if (mobj_optional(&o, "output_shape") != NULL) {
        if (mobj_ints(d, &o, "output_shape", -1, 0, &layer->out_dims, &layer->out_rank) != 0) return -1;
        layer->has_output_shape = 1;
    }
    if (mobj_object(d, &o, "attributes", &attrs) != 0) return -1;
    layer->attributes = attrs.node;
    mobj_path(&o, "kind", p, sizeof p);
    if (decode_attributes(d, layer, &attrs, p) != 0) return -1;
    if (mobj_array(d, &o, "tensors", &refs) != 0) return -1;
    mobj_path(&o, "tensors", p, sizeof p);
    layer->refs = (tensor_ref *)arena_array(&d->f->arena, refs->len, sizeof(tensor_ref));
    if (layer->refs == NULL) return fail_nomem(d->c);
    layer->n_refs = refs->len;
    for (item = refs->first; item != NULL; item = item->next, k++) {
        mobj r;
        ptr_index(q, sizeof q, p, k);
        if (mobj_init(d, &r, item, q) != 0) return -1;
        if (mobj_string(d, &r, "role", &layer->refs[k].role) != 0) return -1;
        if (layer->refs[k].role.len == 0) {
            char s[340];
            mobj_path(&r, "role", s, sizeof s);
            return schema_fail(d, s, "must not be empty");
        }
        if (mobj_string(d, &r, "tensor", &layer->refs[k].tensor) != 0) return -1;
        if (layer->refs[k].tensor.len == 0) {
            char s[340];
            mobj_path(&r, "tensor", s, sizeof s);
            return schema_fail(d, s, "must not be empty");
        }
        if (mobj_finish(d, &r) != 0) return -1;
    }
    return mobj_finish(d, &o);
}

static int decode_tensor(dctx *d, const bnm_json *node, size_t index, bnm_tensor *t) {
    mobj o;
    char base[64], p[300];
    bnm_str name, dtype, crc;
    int64_t offset, length;
    int64_t *dims;
    size_t k;
    unsigned long crc_value = 0;
    snprintf(base, sizeof base, "/tensors/%zu", index);
    if (mobj_init(d, &o, node, base) != 0) return -1;
    if (mobj_string(d, &o, "name", &name) != 0) return -1;
    if (name.len == 0) {
        mobj_path(&o, "name", p, sizeof p);
        return schema_fail(d, p, "must not be empty");
    }
    t->name = name.s;
    t->name_len = name.len;
    if (mobj_string(d, &o, "dtype", &dtype) != 0) return -1;
    for (k = 0; k < 9; k++)
        if (str_eq(dtype.s, dtype.len, DTYPE_NAMES[k])) break;
    if (k == 9) {
        char buf[100];
        mobj_path(&o, "dtype", p, sizeof p);
        return schema_fail(d, p, "'%s' is not a dtype (f16, bf16, f32, f64, i8, i16, i32, i64, u8)", PNAME(dtype.s, dtype.len, buf));
    }
    t->dtype = (bnm_dtype)k;
    if (mobj_ints(d, &o, "shape", -1, 0, &dims, &t->rank) != 0) return -1;
    t->dims = dims;
    if (mobj_int(d, &o, "offset", 0, (int64_t)MAX_INT53, &offset) != 0) return -1;
    if (mobj_int(d, &o, "length", 0, (int64_t)MAX_INT53, &length) != 0) return -1;
    t->file_offset = (uint64_t)offset; /* relative for now; made absolute after the table check */
    t->byte_length = (uint64_t)length;
    if (mobj_string(d, &o, "crc32", &crc) != 0) return -1;
    {
        int ok = crc.len == 8;
        for (k = 0; ok && k < 8; k++) {
            char ch = crc.s[k];
            if (ch >= '0' && ch <= '9') crc_value = crc_value * 16 + (unsigned long)(ch - '0');
            else if (ch >= 'a' && ch <= 'f') crc_value = crc_value * 16 + (unsigned long)(ch - 'a' + 10);
            else ok = 0;
        }
        if (!ok) {
            char buf[100];
            mobj_path(&o, "crc32", p, sizeof p);
            return schema_fail(d, p, "must be 8 lowercase hex digits, found \"%s\"", PNAME(crc.s, crc.len, buf));
        }
    }
    t->crc32 = (uint32_t)crc_value;
    return mobj_finish(d, &o);
}

static const char *const CONVENTIONS[8][2] = {
    {"activations", "NCHW"},
    {"conv_kernel", "OIHW"},
    {"depthwise_kernel", "[C*M, 1, KH, KW]"},
    {"dense_kernel", "[out, in]"},
    {"batch_norm_spatial", "[1, C, 1, 1]"},
    {"batch_norm_per_activation", "[1, C, H, W]"},
    {"flatten_order", "CHW"},
    {"byte_order", "little"},
};

static int decode_manifest(dctx *d, const bnm_json *root_node) {
    bnm_file *f = d->f;
    mobj root, conv, model, prov, extra;
    bnm_str s;
    const bnm_json *layers, *tensors, *item, *arch;
    size_t k;
    if (mobj_init(d, &root, root_node, "") != 0) return -1;
    if (mobj_string(d, &root, "format", &s) != 0) return -1;
    if (!str_eq(s.s, s.len, "bnm")) {
        char buf[100];
        return schema_fail(d, "/format", "must be \"bnm\", found \"%s\"", PNAME(s.s, s.len, buf));
    }
    if (mobj_object(d, &root, "conventions", &conv) != 0) return -1;
    for (k = 0; k < 8; k++) {
        if (mobj_string(d, &conv, CONVENTIONS[k][0], &s) != 0) return -1;
        if (!str_eq(s.s, s.len, CONVENTIONS[k][1])) {
            char p[300], buf[100];
            mobj_path(&conv, CONVENTIONS[k][0], p, sizeof p);
            return schema_fail(d, p, "must be \"%s\" in format version 1, found \"%s\"", CONVENTIONS[k][1], PNAME(s.s, s.len, buf));
        }
    }
    if (mobj_finish(d, &conv) != 0) return -1;

    if (mobj_object(d, &root, "model", &model) != 0) return -1;
    if (mobj_string(d, &model, "name", &f->model_name) != 0) return -1;
    if (mobj_strings(d, &model, "inputs", &f->inputs, &f->n_inputs) != 0) return -1;
    if (mobj_strings(d, &model, "outputs", &f->outputs, &f->n_outputs) != 0) return -1;
    {
        bnm_str *notes;
        if (mobj_strings(d, &model, "layout_notes", &notes, &f->n_notes) != 0) return -1;
    }
    if (mobj_array(d, &model, "layers", &layers) != 0) return -1;
    f->layers = (struct bnm_layer *)arena_array(&f->arena, layers->len, sizeof(struct bnm_layer));
    if (f->layers == NULL) return fail_nomem(d->c);
    f->n_layers = layers->len;
    for (item = layers->first, k = 0; item != NULL; item = item->next, k++)
        if (decode_layer(d, item, k, &f->layers[k]) != 0) return -1;
    if (mobj_finish(d, &model) != 0) return -1;

    if (mobj_object(d, &root, "provenance", &prov) != 0) return -1;
    if (mobj_value(d, &prov, "source_architecture", &arch) != 0) return -1;
    if (mobj_string(d, &prov, "source_format", &s) != 0) return -1;
    if (mobj_string(d, &prov, "source_version", &s) != 0) return -1;
    if (mobj_string(d, &prov, "converter_version", &s) != 0) return -1;
    if (arch->type != BNM_JSON_NULL && as_string(d, arch, "/provenance/source_architecture", &s) != 0) return -1;
    if (mobj_object(d, &prov, "extra", &extra) != 0) return -1;
    if (mobj_finish(d, &prov) != 0) return -1;

    if (mobj_array(d, &root, "tensors", &tensors) != 0) return -1;
    f->tensors = (bnm_tensor *)arena_array(&f->arena, tensors->len, sizeof(bnm_tensor));
    if (f->tensors == NULL) return fail_nomem(d->c);
    f->n_tensors = tensors->len;
    for (item = tensors->first, k = 0; item != NULL; item = item->next, k++)
        if (decode_tensor(d, item, k, &f->tensors[k]) != 0) return -1;
    return mobj_finish(d, &root);
}

/* ---------------------------------------------------------------- tensor table (rules 10-11) */

/* dtype size x product(dims), overflow-checked like the Swift reader: the product of the
 * non-zero dimensions must fit a signed 64-bit integer even when another dimension is 0. */
static int byte_count(const bnm_tensor *t, uint64_t *out) {
    uint64_t product = 1, size = DTYPE_SIZES[t->dtype];
    int zero = 0;
    size_t k;
    for (k = 0; k < t->rank; k++) {
        uint64_t dim = (uint64_t)t->dims[k];
        if (t->dims[k] < 0) return -1;
        if (dim == 0) {
            zero = 1;
            continue;
        }
        if (product > (uint64_t)INT64_MAX / dim) return -1;
        product *= dim;
    }
    if (zero) product = 0;
    if (product > (uint64_t)INT64_MAX / size) return -1;
    *out = product * size;
    return 0;
}

static int check_tensor_table(ctx *c, bnm_file *f) {
    size_t k;
    uint64_t end = 0;
    char buf[100], buf2[100];
    if (strmap_init(&f->tensor_map, f->n_tensors) != 0) return fail_nomem(c);
    for (k = 0; k < f->n_tensors; k++) {
        const bnm_tensor *t = &f->tensors[k];
        uint64_t expected, offset = t->file_offset, length = t->byte_length;
        char ptr[64];
        int put = strmap_put(&f->tensor_map, t->name, t->name_len, k);
        snprintf(ptr, sizeof ptr, "/tensors/%zu", k);
        if (put < 0) return fail_nomem(c);
        if (put == 0)
            return fail(c, BNM_FILE005, BNM_RULE_DUPLICATE_TENSOR_NAME, BNM_NO_OFFSET, ptr,
                        "two tensors are called '%s'", PNAME(t->name, t->name_len, buf));
        if (byte_count(t, &expected) != 0 || expected > MAX_INT53)
            return fail(c, BNM_FILE003, BNM_RULE_SHAPE_OVERFLOW, BNM_NO_OFFSET, ptr,
                        "tensor '%s': %s x product(shape) overflows or exceeds 2^53", PNAME(t->name, t->name_len, buf),
                        DTYPE_NAMES[t->dtype]);
        if (expected != length)
            return fail(c, BNM_FILE003, BNM_RULE_LENGTH_MISMATCH, BNM_NO_OFFSET, ptr,
                        "tensor '%s': length is %llu but dtype and shape need %llu bytes", PNAME(t->name, t->name_len, buf),
                        (unsigned long long)length, (unsigned long long)expected);
        if (offset % ALIGNMENT != 0)
            return fail(c, BNM_FILE004, BNM_RULE_MISALIGNED, BNM_NO_OFFSET, ptr,
                        "tensor '%s': offset %llu is not a multiple of 64", PNAME(t->name, t->name_len, buf),
                        (unsigned long long)offset);
        /* offset, length <= 2^53 (decoded), so the sum cannot overflow. */
        if (offset + length > f->data_length)
            return fail(c, BNM_FILE003, BNM_RULE_EXTENT_OUT_OF_BOUNDS, BNM_NO_OFFSET, ptr,
                        "tensor '%s': bytes %llu..<%llu reach past the end of the data section (%llu bytes)",
                        PNAME(t->name, t->name_len, buf), (unsigned long long)offset,
                        (unsigned long long)(offset + length), (unsigned long long)f->data_length);
    }
    for (k = 0; k < f->n_tensors; k++) {
        const bnm_tensor *t = &f->tensors[k];
        uint64_t offset = t->file_offset, length = t->byte_length;
        uint64_t expected_offset = k == 0 ? 0 : (end + ALIGNMENT - 1) & ~(uint64_t)(ALIGNMENT - 1);
        char ptr[64];
        snprintf(ptr, sizeof ptr, "/tensors/%zu", k);
        if (offset < expected_offset && length > 0) {
            size_t j;
            for (j = 0; j < k; j++) {
                const bnm_tensor *e = &f->tensors[j];
                if (e->byte_length > 0 && e->file_offset < offset + length && offset < e->file_offset + e->byte_length)
                    return fail(c, BNM_FILE003, BNM_RULE_OVERLAPPING_TENSORS, BNM_NO_OFFSET, ptr,
                                "tensors '%s' and '%s' overlap", PNAME(e->name, e->name_len, buf),
                                PNAME(t->name, t->name_len, buf2));
            }
        }
        if (offset != expected_offset)
            return fail(c, BNM_FILE003, BNM_RULE_UNEXPECTED_GAP, BNM_NO_OFFSET, ptr,
                        "tensor '%s' starts at %llu, but the layout puts it at %llu", PNAME(t->name, t->name_len, buf),
                        (unsigned long long)offset, (unsigned long long)expected_offset);
        end = offset + length;
    }
    if (f->data_length != end)
        return fail(c, BNM_FILE003, BNM_RULE_DATA_LENGTH_MISMATCH, 40, "",
                    "header data_length is %llu but the last tensor ends at %llu", (unsigned long long)f->data_length,
                    (unsigned long long)end);
    for (k = 0; k < f->n_tensors; k++) {
        bnm_tensor *t = &f->tensors[k];
        t->file_offset += f->data_offset;
        t->data = f->bytes + t->file_offset; /* file_offset + byte_length <= size, checked above */
    }
    return 0;
}

/* ---------------------------------------------------------------- references (rule 12) */

static int check_references(ctx *c, bnm_file *f) {
    unsigned char *used;
    size_t k, j;
    char buf[100], buf2[100];
    int result = 0;
    used = (unsigned char *)calloc(f->n_tensors + 1, 1);
    if (used == NULL) return fail_nomem(c);
    for (k = 0; k < f->n_layers && result == 0; k++) {
        struct bnm_layer *l = &f->layers[k];
        for (j = 0; j < l->n_refs; j++) {
            tensor_ref *r = &l->refs[j];
            size_t index = strmap_get(&f->tensor_map, r->tensor.s, r->tensor.len);
            char ptr[96];
            snprintf(ptr, sizeof ptr, "/model/layers/%zu/tensors/%zu/tensor", k, j);
            if (index == (size_t)-1) {
                result = fail(c, BNM_FILE005, BNM_RULE_UNKNOWN_TENSOR, BNM_NO_OFFSET, ptr,
                              "layer '%s' refers to tensor '%s', which the manifest does not list",
                              PNAME(l->name.s, l->name.len, buf), PNAME(r->tensor.s, r->tensor.len, buf2));
                break;
            }
            if (used[index]) {
                result = fail(c, BNM_FILE005, BNM_RULE_INCONSISTENT_MANIFEST, BNM_NO_OFFSET, ptr,
                              "inconsistent manifest at '%s': uses tensor '%s', which another layer already uses", ptr,
                              PNAME(r->tensor.s, r->tensor.len, buf2));
                break;
            }
            used[index] = 1;
            r->index = index;
        }
    }
    for (k = 0; k < f->n_tensors && result == 0; k++) {
        if (!used[k]) {
            char ptr[64];
            snprintf(ptr, sizeof ptr, "/tensors/%zu", k);
            result = fail(c, BNM_FILE005, BNM_RULE_INCONSISTENT_MANIFEST, BNM_NO_OFFSET, ptr,
                          "inconsistent manifest at '%s': tensor '%s' is used by no layer", ptr,
                          PNAME(f->tensors[k].name, f->tensors[k].name_len, buf));
        }
    }
    free(used);
    return result;
}

/* ---------------------------------------------------------------- model rules (rule 13) */

static int model_fail(ctx *c, size_t layer_index, const char *fmt, ...) BNM_PRINTF(3, 4);
static int model_fail(ctx *c, size_t layer_index, const char *fmt, ...) {
    char ptr[64], what[500];
    va_list ap;
    if (layer_index == (size_t)-1) snprintf(ptr, sizeof ptr, "/model/layers");
    else snprintf(ptr, sizeof ptr, "/model/layers/%zu", layer_index);
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return fail(c, BNM_FILE005, BNM_RULE_INVALID_MODEL, BNM_NO_OFFSET, ptr, "invalid model at '%s': %s", ptr, what);
}

static const bnm_tensor *layer_tensor(const struct bnm_layer *l, const char *role) {
    size_t k;
    for (k = 0; k < l->n_refs; k++)
        if (str_eq(l->refs[k].role.s, l->refs[k].role.len, role)) return &l->file->tensors[l->refs[k].index];
    return NULL;
}

static int check_batch_norm(ctx *c, const struct bnm_layer *l, size_t index) {
    static const char *const roles[4] = {"gamma", "beta", "mean", "variance"};
    const bnm_tensor *reference = NULL;
    size_t r;
    char buf[100];
    for (r = 0; r < 4; r++) {
        const bnm_tensor *t = layer_tensor(l, roles[r]);
        const int64_t *s;
        int ok;
        if (t == NULL)
            return model_fail(c, index, "layer '%s' lacks its '%s' tensor", PNAME(l->name.s, l->name.len, buf), roles[r]);
        s = t->dims;
        ok = (t->dtype == BNM_F16 || t->dtype == BNM_BF16 || t->dtype == BNM_F32 || t->dtype == BNM_F64) && t->rank == 4 &&
             s[0] == 1;
        if (ok && l->bn_mode == BNM_BN_SPATIAL) ok = s[2] == 1 && s[3] == 1;
        if (ok && reference != NULL) ok = memcmp(reference->dims, s, 4 * sizeof(int64_t)) == 0;
        if (ok && l->has_output_shape) {
            const int64_t *o = l->out_dims;
            if (l->bn_mode == BNM_BN_SPATIAL) ok = l->out_rank >= 1 && o[0] == s[1];
            else if (l->out_rank == 3) ok = o[0] == s[1] && o[1] == s[2] && o[2] == s[3];
            else ok = (l->out_rank >= 1 ? o[0] : -1) == s[1] && s[2] == 1 && s[3] == 1;
        }
        if (!ok)
            return model_fail(c, index, "layer '%s': tensor '%s' has dtype %s and rank %zu, expected floating point %s%s",
                              PNAME(l->name.s, l->name.len, buf), roles[r], DTYPE_NAMES[t->dtype], t->rank,
                              l->bn_mode == BNM_BN_SPATIAL ? "[1, C, 1, 1] (spatial)" : "[1, C, H, W] (per-activation)",
                              l->has_output_shape ? " matching the output shape" : "");
        reference = t;
    }
    return 0;
}

static int check_model(ctx *c, bnm_file *f) {
    size_t k, j;
    char buf[100], buf2[100];
    if (strmap_init(&f->layer_map, f->n_layers) != 0) return fail_nomem(c);
    for (k = 0; k < f->n_layers; k++) {
        struct bnm_layer *l = &f->layers[k];
        int put;
        for (j = 0; j < l->n_inbound; j++)
            if (strmap_get(&f->layer_map, l->inbound[j].s, l->inbound[j].len) == (size_t)-1)
                return model_fail(c, k, "layer '%s' names inbound layer '%s', which is not an earlier layer",
                                  PNAME(l->name.s, l->name.len, buf), PNAME(l->inbound[j].s, l->inbound[j].len, buf2));
        put = strmap_put(&f->layer_map, l->name.s, l->name.len, k);
        if (put < 0) return fail_nomem(c);
        if (put == 0) return model_fail(c, k, "two layers are called '%s'", PNAME(l->name.s, l->name.len, buf));
        /* Roles: non-empty (decoded) and unique. */
        if (l->n_refs > 1) {
            strmap roles;
            int dup = 0;
            if (strmap_init(&roles, l->n_refs) != 0) return fail_nomem(c);
            for (j = 0; j < l->n_refs && !dup; j++) {
                int r = strmap_put(&roles, l->refs[j].role.s, l->refs[j].role.len, j);
                if (r < 0) {
                    strmap_free(&roles);
                    return fail_nomem(c);
                }
                dup = r == 0;
            }
            strmap_free(&roles);
            if (dup)
                return model_fail(c, k, "layer '%s' has two tensors with role '%s'", PNAME(l->name.s, l->name.len, buf),
                                  PNAME(l->refs[j - 1].role.s, l->refs[j - 1].role.len, buf2));
        }
        switch (l->kind_id) {
        case BNM_KIND_NORMALIZE:
            if (!(isfinite(l->normalize_epsilon) && l->normalize_epsilon >= 0))
                return model_fail(c, k, "layer '%s': epsilon must be finite and >= 0", PNAME(l->name.s, l->name.len, buf));
            break;
        case BNM_KIND_BATCH_NORM:
            if (check_batch_norm(c, l, k) != 0) return -1;
            break;
        default:
            break;
        }
    }
    for (k = 0; k < f->n_inputs; k++) {
        size_t index = strmap_get(&f->layer_map, f->inputs[k].s, f->inputs[k].len);
        if (index == (size_t)-1 || f->layers[index].kind_id != BNM_KIND_INPUT) {
            char ptr[64];
            snprintf(ptr, sizeof ptr, "/model/inputs");
            return fail(c, BNM_FILE005, BNM_RULE_INVALID_MODEL, BNM_NO_OFFSET, ptr,
                        "invalid model at '/model/inputs': input '%s' is not an input layer",
                        PNAME(f->inputs[k].s, f->inputs[k].len, buf));
        }
    }
    for (k = 0; k < f->n_outputs; k++) {
        if (strmap_get(&f->layer_map, f->outputs[k].s, f->outputs[k].len) == (size_t)-1)
            return fail(c, BNM_FILE005, BNM_RULE_INVALID_MODEL, BNM_NO_OFFSET, "/model/outputs",
                        "invalid model at '/model/outputs': output '%s' is not a layer",
                        PNAME(f->outputs[k].s, f->outputs[k].len, buf));
    }
    return 0;
}

/* ---------------------------------------------------------------- data (rule 14) */

static int check_checksums(ctx *c, const bnm_file *f) {
    size_t k;
    char buf[100];
    for (k = 0; k < f->n_tensors; k++) {
        const bnm_tensor *t = &f->tensors[k];
        uint32_t actual = bnm_crc32(0, t->data, (size_t)t->byte_length);
        if (actual != t->crc32) {
            char ptr[64];
            snprintf(ptr, sizeof ptr, "/tensors/%zu", k);
            return fail(c, BNM_FILE001, BNM_RULE_CHECKSUM_MISMATCH, t->file_offset, ptr,
                        "tensor '%s' is damaged (CRC-32 of its bytes is %08x, the manifest says %08x)",
                        PNAME(t->name, t->name_len, buf), actual, t->crc32);
        }
    }
    return 0;
}

static int check_zero(ctx *c, const bnm_file *f, uint64_t from, uint64_t to, const char *what) {
    uint64_t k;
    for (k = from; k < to; k++)
        if (f->bytes[k] != 0)
            return fail(c, BNM_FILE006, BNM_RULE_NON_ZERO_PADDING, k, "", "%s byte at offset %llu is not zero", what,
                        (unsigned long long)k);
    return 0;
}

/* Rule 14: the padding after the manifest and between tensors is zero. (The reserved header
 * bytes and the absence of bytes before the manifest are rules 4 and 5.) */
static int check_padding(ctx *c, const bnm_file *f) {
    uint64_t end = 0;
    size_t k;
    if (check_zero(c, f, f->manifest_offset + f->manifest_length, f->data_offset, "padding") != 0) return -1;
    for (k = 0; k < f->n_tensors; k++) {
        const bnm_tensor *t = &f->tensors[k];
        if (check_zero(c, f, f->data_offset + end, t->file_offset, "padding") != 0) return -1;
        end = t->file_offset - f->data_offset + t->byte_length;
    }
    return 0;
}

/* ---------------------------------------------------------------- open / close */

static bnm_code open_bytes(bnm_file *f, unsigned flags, ctx *c) {
    jparser p;
    dctx d;
    const unsigned char *manifest;
    uint32_t crc;
    if (check_header(c, f) != 0) return c->code;
    manifest = f->bytes + f->manifest_offset;
    crc = bnm_crc32(0, manifest, (size_t)f->manifest_length);
    if (crc != f->manifest_crc) {
        fail(c, BNM_FILE002, BNM_RULE_MANIFEST_CHECKSUM_MISMATCH, 48, "",
             "manifest is damaged (its CRC-32 is %08x, the header says %08x)", crc, f->manifest_crc);
        return c->code;
    }
    memset(&p, 0, sizeof p);
    p.b = manifest;
    p.n = (size_t)f->manifest_length;
    p.pool_cap = p.n + 1;
    p.pool = (char *)malloc(p.pool_cap);
    if (p.pool == NULL) {
        fail_nomem(c);
        return c->code;
    }
    if (jparse(&p) != 0) {
        free(p.hash);
        free(p.nodes);
        free(p.pool);
        if (p.nomem) fail_nomem(c);
        else
            fail(c, BNM_FILE005, BNM_RULE_MANIFEST_NOT_JSON, f->manifest_offset + p.err_off, "",
                 "manifest is not JSON at byte %llu of the file: %s", (unsigned long long)(f->manifest_offset + p.err_off),
                 p.err_msg);
        return c->code;
    }
    free(p.hash);
    f->nodes = p.nodes;
    f->pool = p.pool;
    d.c = c;
    d.f = f;
    d.strict = f->minor <= BNM_READER_MINOR;
    if (decode_manifest(&d, &f->nodes[0]) != 0) return c->code;
    if (check_tensor_table(c, f) != 0) return c->code;
    if (check_references(c, f) != 0) return c->code;
    if (check_model(c, f) != 0) return c->code;
    if (!(flags & BNM_OPEN_SKIP_CHECKSUMS) && check_checksums(c, f) != 0) return c->code;
    if (!(flags & BNM_OPEN_SKIP_PADDING) && check_padding(c, f) != 0) return c->code;
    return BNM_OK;
}

static void clear_error(bnm_error *err) {
    if (err != NULL) {
        err->code = BNM_OK;
        err->rule = BNM_RULE_NONE;
        err->offset = BNM_NO_OFFSET;
        err->pointer[0] = '\0';
        err->message[0] = '\0';
    }
}

static bnm_file *new_file(const char *name) {
    bnm_file *f = (bnm_file *)calloc(1, sizeof(bnm_file));
    size_t len;
    if (f == NULL) return NULL;
    len = strlen(name);
    f->path = (char *)malloc(len + 1);
    if (f->path == NULL) {
        free(f);
        return NULL;
    }
    memcpy(f->path, name, len + 1);
    return f;
}

static bnm_code finish_open(bnm_file *f, unsigned flags, ctx *c, bnm_file **out) {
    bnm_code code = open_bytes(f, flags, c);
    if (code != BNM_OK) {
        bnm_close(f);
        return code;
    }
    *out = f;
    return BNM_OK;
}

static const unsigned char EMPTY[1] = {0};

bnm_code bnm_open_memory(const void *bytes, size_t size, const char *name, unsigned flags, bnm_file **out, bnm_error *err) {
    ctx c;
    bnm_file *f;
    clear_error(err);
    c.path = name != NULL ? name : "(memory)";
    c.err = err;
    c.code = BNM_OK;
    if (out == NULL) {
        fail(&c, BNM_ERR_ARG, BNM_RULE_NONE, BNM_NO_OFFSET, "", "no output pointer");
        return BNM_ERR_ARG;
    }
    *out = NULL;
    if (bytes == NULL && size != 0) {
        fail(&c, BNM_ERR_ARG, BNM_RULE_NONE, BNM_NO_OFFSET, "", "NULL bytes");
        return BNM_ERR_ARG;
    }
    f = new_file(c.path);
    if (f == NULL) {
        fail_nomem(&c);
        return BNM_ERR_NOMEM;
    }
    f->bytes = size != 0 ? (const unsigned char *)bytes : EMPTY;
    f->size = size;
    return finish_open(f, flags, &c, out);
}

bnm_code bnm_open(const char *path, unsigned flags, bnm_file **out, bnm_error *err) {
    ctx c;
    bnm_file *f;
    int fd;
    struct stat st;
    clear_error(err);
    c.path = path != NULL ? path : "(null)";
    c.err = err;
    c.code = BNM_OK;
    if (out == NULL || path == NULL) {
        fail(&c, BNM_ERR_ARG, BNM_RULE_NONE, BNM_NO_OFFSET, "", "no path or output pointer");
        return BNM_ERR_ARG;
    }
    *out = NULL;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fail(&c, BNM_ERR_IO, BNM_RULE_IO, BNM_NO_OFFSET, "", "cannot open: %s", strerror(errno));
        return BNM_ERR_IO;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0 || (uint64_t)st.st_size > (uint64_t)SIZE_MAX) {
        int e = errno;
        close(fd);
        fail(&c, BNM_ERR_IO, BNM_RULE_IO, BNM_NO_OFFSET, "", "cannot read: %s",
             S_ISREG(st.st_mode) ? strerror(e) : "not a regular file");
        return BNM_ERR_IO;
    }
    f = new_file(path);
    if (f == NULL) {
        close(fd);
        fail_nomem(&c);
        return BNM_ERR_NOMEM;
    }
    f->size = (size_t)st.st_size;
    if (f->size > 0) {
        void *map = mmap(NULL, f->size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED) {
            int e = errno;
            close(fd);
            bnm_close(f);
            fail(&c, BNM_ERR_IO, BNM_RULE_IO, BNM_NO_OFFSET, "", "cannot mmap: %s", strerror(e));
            return BNM_ERR_IO;
        }
        f->map = map;
        f->map_size = f->size;
        f->bytes = (const unsigned char *)map;
    } else {
        f->bytes = EMPTY;
    }
    close(fd);
    return finish_open(f, flags, &c, out);
}

void bnm_close(bnm_file *f) {
    if (f == NULL) return;
    if (f->map != NULL) munmap(f->map, f->map_size);
    strmap_free(&f->tensor_map);
    strmap_free(&f->layer_map);
    arena_free(&f->arena);
    free(f->nodes);
    free(f->pool);
    free(f->path);
    free(f);
}

/* ---------------------------------------------------------------- accessors */

uint16_t bnm_file_major(const bnm_file *f) { return f->major; }
uint16_t bnm_file_minor(const bnm_file *f) { return f->minor; }
uint32_t bnm_file_flags(const bnm_file *f) { return f->flags; }
const char *bnm_model_name(const bnm_file *f) { return f->model_name.s; }
size_t bnm_input_count(const bnm_file *f) { return f->n_inputs; }
const char *bnm_input_name(const bnm_file *f, size_t i) { return i < f->n_inputs ? f->inputs[i].s : NULL; }
size_t bnm_output_count(const bnm_file *f) { return f->n_outputs; }
const char *bnm_output_name(const bnm_file *f, size_t i) { return i < f->n_outputs ? f->outputs[i].s : NULL; }
const bnm_json *bnm_manifest(const bnm_file *f) { return &f->nodes[0]; }
const char *bnm_manifest_text(const bnm_file *f, size_t *length) {
    if (length != NULL) *length = (size_t)f->manifest_length;
    return (const char *)(f->bytes + f->manifest_offset);
}

size_t bnm_layer_count(const bnm_file *f) { return f->n_layers; }
const bnm_layer *bnm_layer_at(const bnm_file *f, size_t i) { return i < f->n_layers ? &f->layers[i] : NULL; }
const bnm_layer *bnm_find_layer(const bnm_file *f, const char *name) {
    size_t i;
    if (name == NULL) return NULL;
    i = strmap_get(&f->layer_map, name, strlen(name));
    return i == (size_t)-1 ? NULL : &f->layers[i];
}
const char *bnm_layer_name(const bnm_layer *l) { return l->name.s; }
const char *bnm_layer_kind(const bnm_layer *l) { return l->kind.s; }
bnm_kind bnm_layer_kind_id(const bnm_layer *l) { return l->kind_id; }
bnm_bn_mode bnm_layer_bn_mode(const bnm_layer *l) { return l->bn_mode; }
int64_t bnm_layer_groups(const bnm_layer *l) { return l->kind_id == BNM_KIND_CONV2D ? l->groups : 0; }
size_t bnm_layer_inbound_count(const bnm_layer *l) { return l->n_inbound; }
const char *bnm_layer_inbound(const bnm_layer *l, size_t i) { return i < l->n_inbound ? l->inbound[i].s : NULL; }
int bnm_layer_output_shape(const bnm_layer *l, size_t *rank, const int64_t **dims) {
    if (rank != NULL) *rank = l->has_output_shape ? l->out_rank : 0;
    if (dims != NULL) *dims = l->has_output_shape ? l->out_dims : NULL;
    return l->has_output_shape;
}
size_t bnm_layer_tensor_count(const bnm_layer *l) { return l->n_refs; }
const char *bnm_layer_tensor_role(const bnm_layer *l, size_t i) { return i < l->n_refs ? l->refs[i].role.s : NULL; }
const bnm_tensor *bnm_layer_tensor_at(const bnm_layer *l, size_t i) {
    return i < l->n_refs ? &l->file->tensors[l->refs[i].index] : NULL;
}
const bnm_tensor *bnm_layer_tensor(const bnm_layer *l, const char *role) {
    return role != NULL ? layer_tensor(l, role) : NULL;
}

size_t bnm_tensor_count(const bnm_file *f) { return f->n_tensors; }
const bnm_tensor *bnm_tensor_at(const bnm_file *f, size_t i) { return i < f->n_tensors ? &f->tensors[i] : NULL; }
const bnm_tensor *bnm_find_tensor(const bnm_file *f, const char *name) {
    size_t i;
    if (name == NULL) return NULL;
    i = strmap_get(&f->tensor_map, name, strlen(name));
    return i == (size_t)-1 ? NULL : &f->tensors[i];
}

const bnm_json *bnm_layer_attributes(const bnm_layer *l) { return l->attributes; }

int bnm_layer_attr_int(const bnm_layer *l, const char *key, int64_t *out) {
    const bnm_json *v = bnm_json_get(l->attributes, key);
    if (!bnm_json_is_int(v)) return 0;
    if (out != NULL) *out = v->i;
    return 1;
}
int bnm_layer_attr_number(const bnm_layer *l, const char *key, double *out) {
    const bnm_json *v = bnm_json_get(l->attributes, key);
    if (v == NULL || v->type != BNM_JSON_NUMBER) return 0;
    if (out != NULL) *out = v->d;
    return 1;
}
int bnm_layer_attr_bool(const bnm_layer *l, const char *key, int *out) {
    const bnm_json *v = bnm_json_get(l->attributes, key);
    if (v == NULL || v->type != BNM_JSON_BOOL) return 0;
    if (out != NULL) *out = v->i != 0;
    return 1;
}
int bnm_layer_attr_string(const bnm_layer *l, const char *key, const char **out, size_t *length) {
    const bnm_json *v = bnm_json_get(l->attributes, key);
    if (v == NULL || v->type != BNM_JSON_STRING) return 0;
    if (out != NULL) *out = v->str;
    if (length != NULL) *length = v->len;
    return 1;
}
int bnm_layer_attr_ints(const bnm_layer *l, const char *key, int64_t *out, size_t cap, size_t *count) {
    const bnm_json *v = bnm_json_get(l->attributes, key), *item;
    size_t k = 0;
    if (v == NULL || v->type != BNM_JSON_ARRAY) return 0;
    for (item = v->first; item != NULL; item = item->next)
        if (!(item->type == BNM_JSON_NUMBER && item->is_int)) return 0;
    for (item = v->first; item != NULL; item = item->next, k++)
        if (out != NULL && k < cap) out[k] = item->i;
    if (count != NULL) *count = v->len;
    return 1;
}
const char *bnm_layer_activation(const bnm_layer *l) {
    return bnm_json_string(bnm_json_get(bnm_json_get(l->attributes, "activation"), "name"), NULL);
}
int bnm_layer_activation_param(const bnm_layer *l, const char *key, double *out) {
    const bnm_json *v = bnm_json_get(bnm_json_get(l->attributes, "activation"), key);
    if (v == NULL || v->type != BNM_JSON_NUMBER) return 0;
    if (out != NULL) *out = v->d;
    return 1;
}
