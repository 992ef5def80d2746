/* fuzz_bnm: feeds mutated .bnm files to the reader under ASan/UBSan.
 *
 * Standalone (any C99 compiler):
 *   cc -std=c99 -g -fsanitize=address,undefined fuzz_bnm.c bnm.c -lm -o fuzz_bnm
 *   ./fuzz_bnm [--iterations N] [--seed S] SEED.bnm...
 * Each iteration takes a seed file and applies random mutations (bit flips, byte sets,
 * truncation, insertion/deletion, manifest text edits), and half of the time re-computes
 * the manifest and header CRC-32s so the mutation reaches the JSON parser and the rules
 * behind it. The bytes are in an exact-size heap buffer so any out-of-bounds read is caught.
 *
 * libFuzzer: clang -fsanitize=fuzzer,address,undefined -DBNM_LIBFUZZER fuzz_bnm.c bnm.c -lm
 */
#include "bnm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile uint32_t sink;

/* Opens the bytes both ways and walks everything the API hands out. */
static void exercise(const unsigned char *bytes, size_t size) {
    static const unsigned flag_sets[2] = {BNM_OPEN_DEFAULT, BNM_OPEN_STRUCTURE_ONLY};
    size_t f;
    for (f = 0; f < 2; f++) {
        bnm_file *file = NULL;
        bnm_error err;
        size_t i, j;
        unsigned char *copy = (unsigned char *)malloc(size ? size : 1);
        if (copy == NULL) return;
        if (size) memcpy(copy, bytes, size);
        if (bnm_open_memory(copy, size, "fuzz", flag_sets[f], &file, &err) == BNM_OK) {
            for (i = 0; i < bnm_layer_count(file); i++) {
                const bnm_layer *l = bnm_layer_at(file, i);
                int64_t x, dims[8];
                double y;
                const char *s;
                size_t n, rank;
                const int64_t *out;
                sink += (uint32_t)strlen(bnm_layer_name(l)) + (uint32_t)bnm_layer_kind_id(l) + (uint32_t)bnm_layer_bn_mode(l);
                sink += (uint32_t)bnm_layer_attr_int(l, "filters", &x) + (uint32_t)bnm_layer_attr_number(l, "epsilon", &y);
                sink += (uint32_t)bnm_layer_attr_ints(l, "kernel_size", dims, 8, &n);
                sink += (uint32_t)bnm_layer_attr_string(l, "class_name", &s, &n);
                sink += bnm_layer_activation(l) != NULL;
                sink += (uint32_t)bnm_layer_output_shape(l, &rank, &out);
                for (j = 0; j < bnm_layer_inbound_count(l); j++) sink += bnm_find_layer(file, bnm_layer_inbound(l, j)) != NULL;
                for (j = 0; j < bnm_layer_tensor_count(l); j++)
                    sink += bnm_layer_tensor(l, bnm_layer_tensor_role(l, j)) != NULL;
            }
            for (i = 0; i < bnm_tensor_count(file); i++) {
                const bnm_tensor *t = bnm_tensor_at(file, i);
                sink += bnm_crc32(0, t->data, (size_t)t->byte_length);
                sink += bnm_find_tensor(file, t->name) != NULL;
            }
            bnm_close(file);
        } else {
            sink += (uint32_t)strlen(err.message) + (uint32_t)err.code;
        }
        free(copy);
    }
}

#ifdef BNM_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    exercise(data, size);
    return 0;
}
#else

static uint64_t rng_state = 88172645463325252ull;
static uint64_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}
static size_t below(size_t n) { return n ? (size_t)(rnd() % n) : 0; }

static void put_le32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8); p[2] = (unsigned char)(v >> 16); p[3] = (unsigned char)(v >> 24);
}
static uint64_t get_le64(const unsigned char *p) {
    uint64_t v = 0;
    int k;
    for (k = 7; k >= 0; k--) v = (v << 8) | p[k];
    return v;
}

/* Re-computes the manifest CRC (when the header's extent is inside the buffer) and the header CRC. */
static void fix_crcs(unsigned char *b, size_t size) {
    if (size < 64) return;
    {
        uint64_t off = get_le64(b + 16), len = get_le64(b + 24);
        if (off <= size && len <= size - off) put_le32(b + 48, bnm_crc32(0, b + off, (size_t)len));
    }
    put_le32(b + 60, bnm_crc32(0, b, 60));
}

static const char *const TOKENS[] = {"{", "}", "[", "]", ",", ":", "\"", "\\", "\\u", "\\ud800", "null", "true", "-",
                                     "0", "1e999", "9007199254740993", "-1", "1.5", "\"kind\"", "\"batch_norm\"",
                                     "\"per_activation\"", "\"shape\"", "\xc3", "\xed\xa0\x80", "\"tensors\"",
                                     "\"layer_norm\"", "\"groups\"", "\"epsilon\"", "-0.0", "5e-324"};

static unsigned char *mutate(const unsigned char *seed, size_t seed_size, size_t *out_size) {
    size_t cap = seed_size + 64, size = seed_size, k, rounds = 1 + below(4);
    unsigned char *b = (unsigned char *)malloc(cap);
    uint64_t m_off = 64, m_len = 0;
    if (b == NULL) return NULL;
    memcpy(b, seed, seed_size);
    if (size >= 64) {
        m_off = get_le64(b + 16);
        m_len = get_le64(b + 24);
    }
    for (k = 0; k < rounds; k++) {
        size_t at = below(size);
        switch (below(8)) {
        case 0: if (size) b[at] ^= (unsigned char)(1u << below(8)); break;
        case 1: if (size) b[at] = (unsigned char)rnd(); break;
        case 2: size = below(size + 1); break;
        case 3: /* delete a run */
            if (size) {
                size_t n = 1 + below(16);
                if (n > size - at) n = size - at;
                memmove(b + at, b + at + n, size - at - n);
                size -= n;
            }
            break;
        case 4: /* insert a token */
        case 5: {
            const char *t = TOKENS[below(sizeof TOKENS / sizeof TOKENS[0])];
            size_t n = strlen(t);
            if (m_len > 0 && m_off < size && m_len <= size - m_off) at = (size_t)m_off + below((size_t)m_len);
            if (size + n <= cap) {
                memmove(b + at + n, b + at, size - at);
                memcpy(b + at, t, n);
                size += n;
                if (size >= 64 && m_len + n > m_len) {
                    /* keep the manifest extent consistent half of the time */
                    if (rnd() & 1) {
                        uint64_t len = m_len + n, d_off;
                        int j;
                        for (j = 0; j < 8; j++) b[24 + j] = (unsigned char)(len >> (8 * j));
                        d_off = get_le64(b + 32);
                        (void)d_off;
                    }
                }
            }
            break;
        }
        case 6: /* change a digit inside the manifest */
            if (m_len > 0 && m_off < size && m_len <= size - m_off) {
                size_t p = (size_t)m_off + below((size_t)m_len);
                if (b[p] >= '0' && b[p] <= '9') b[p] = (unsigned char)('0' + below(10));
                else if (b[p] >= 'a' && b[p] <= 'z') b[p] = (unsigned char)('a' + below(26));
            }
            break;
        default: /* a header field */
            if (size >= 64) {
                size_t field = 8 + 2 * below(26);
                b[field] = (unsigned char)rnd();
            }
            break;
        }
    }
    if (rnd() & 1) fix_crcs(b, size);
    *out_size = size;
    return b;
}

static unsigned char *read_file(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    unsigned char *b;
    long n;
    if (f == NULL) return NULL;
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return NULL;
    }
    b = (unsigned char *)malloc((size_t)n + 1);
    if (b != NULL && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *size = (size_t)n;
    return b;
}

int main(int argc, char **argv) {
    unsigned char *seeds[64];
    size_t sizes[64], n_seeds = 0, i;
    unsigned long iterations = 10000, it;
    int a;
    for (a = 1; a < argc; a++) {
        if (strcmp(argv[a], "--iterations") == 0 && a + 1 < argc) iterations = strtoul(argv[++a], NULL, 10);
        else if (strcmp(argv[a], "--seed") == 0 && a + 1 < argc) rng_state ^= strtoull(argv[++a], NULL, 10) * 2654435761u;
        else if (n_seeds < 64) {
            seeds[n_seeds] = read_file(argv[a], &sizes[n_seeds]);
            if (seeds[n_seeds] == NULL) {
                fprintf(stderr, "cannot read %s\n", argv[a]);
                return 64;
            }
            n_seeds++;
        }
    }
    if (n_seeds == 0) {
        fprintf(stderr, "usage: fuzz_bnm [--iterations N] [--seed S] SEED.bnm...\n");
        return 64;
    }
    for (i = 0; i < n_seeds; i++) exercise(seeds[i], sizes[i]);
    for (it = 0; it < iterations; it++) {
        size_t s = below(n_seeds), size;
        unsigned char *b = mutate(seeds[s], sizes[s], &size);
        if (b == NULL) return 1;
        exercise(b, size);
        free(b);
    }
    for (i = 0; i < n_seeds; i++) free(seeds[i]);
    printf("fuzz: %lu mutated inputs, no sanitizer report\n", iterations);
    return 0;
}
#endif
