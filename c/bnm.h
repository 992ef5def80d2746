/*
 * bnm.h - a C99 reader for .bnm model files (docs/FORMAT.md, format version 1.x).
 *
 * Opens a file, memory-maps it read-only and checks every rule of FORMAT.md before handing
 * anything out: magic, version, header and manifest CRC-32s, header extents, the manifest
 * (strict JSON; every member the v1 schema defines, with its type and range), the tensor
 * table (sizes, alignment, layout without holes or overlaps), the model's own rules
 * (unique names, topological order, batch-norm shapes) and, unless switched off, every
 * tensor's CRC-32 and every padding/reserved byte. Nothing is read out of bounds and nothing
 * traps, whatever the file holds: failures return a code and a message naming the place.
 *
 * Tensors are handed out as pointers into the mapping (zero copy, 64-byte aligned from the
 * start of the file). They are valid until bnm_close(). As with any mmap reader, another
 * process truncating the file while it is mapped raises SIGBUS on access.
 *
 * Strings handed out are NUL-terminated; a JSON string may itself contain "\u0000", so
 * functions that return a string also give its length where that matters.
 */
#ifndef BNM_H
#define BNM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The format version this reader implements: it reads any minor of major 1. */
#define BNM_READER_MAJOR 1
#define BNM_READER_MINOR 0

/*
 * Result codes. BNM_FILE001..BNM_FILE008 are the stable finding codes of the Swift
 * implementation (`bnconvert validate`, README "Validation"); the others have no finding code.
 */
typedef enum bnm_code {
    BNM_OK = 0,
    BNM_FILE001 = 1, /* a tensor's bytes do not match its CRC-32 */
    BNM_FILE002 = 2, /* the header's or manifest's CRC-32 does not match */
    BNM_FILE003 = 3, /* wrong size or extent: truncated, trailing bytes, past the end, holes, overlaps */
    BNM_FILE004 = 4, /* an offset is not a multiple of 64 */
    BNM_FILE005 = 5, /* the manifest is not UTF-8 JSON, breaks the schema, or disagrees with the tensor table / model rules */
    BNM_FILE006 = 6, /* a padding or reserved byte is not zero */
    BNM_FILE007 = 7, /* text-mode transfer damage */
    BNM_FILE008 = 8, /* not a .bnm, or a major version / required feature this reader lacks */
    BNM_ERR_IO = 20,     /* open/fstat/mmap failed (errno in the message) */
    BNM_ERR_NOMEM = 21,  /* out of memory */
    BNM_ERR_ARG = 22     /* invalid argument (NULL path, ...) */
} bnm_code;

/* The precise rule that failed; mirrors the Swift reader's BNMError cases. */
typedef enum bnm_rule {
    BNM_RULE_NONE = 0,
    BNM_RULE_IO,
    BNM_RULE_NOMEM,
    BNM_RULE_BAD_MAGIC,
    BNM_RULE_TEXT_MODE_DAMAGE,
    BNM_RULE_TRUNCATED,
    BNM_RULE_UNSUPPORTED_MAJOR_VERSION,
    BNM_RULE_HEADER_CHECKSUM_MISMATCH,
    BNM_RULE_UNSUPPORTED_REQUIRED_FLAGS,
    BNM_RULE_INVALID_HEADER_FIELD,
    BNM_RULE_MANIFEST_TOO_LARGE,
    BNM_RULE_TRAILING_BYTES,
    BNM_RULE_MANIFEST_CHECKSUM_MISMATCH,
    BNM_RULE_MANIFEST_NOT_JSON,
    BNM_RULE_MANIFEST_SCHEMA,
    BNM_RULE_DUPLICATE_TENSOR_NAME,
    BNM_RULE_SHAPE_OVERFLOW,
    BNM_RULE_LENGTH_MISMATCH,
    BNM_RULE_MISALIGNED,
    BNM_RULE_EXTENT_OUT_OF_BOUNDS,
    BNM_RULE_OVERLAPPING_TENSORS,
    BNM_RULE_UNEXPECTED_GAP,
    BNM_RULE_DATA_LENGTH_MISMATCH,
    BNM_RULE_UNKNOWN_TENSOR,
    BNM_RULE_INCONSISTENT_MANIFEST,
    BNM_RULE_INVALID_MODEL,
    BNM_RULE_CHECKSUM_MISMATCH,
    BNM_RULE_NON_ZERO_PADDING
} bnm_rule;

#define BNM_NO_OFFSET UINT64_MAX

typedef struct bnm_error {
    bnm_code code;
    bnm_rule rule;
    uint64_t offset;      /* byte offset in the file of the fault, or BNM_NO_OFFSET */
    char pointer[256];    /* JSON Pointer of the manifest field at fault, or "" */
    char message[768];    /* "path: what is wrong" */
} bnm_error;

/* Open flags. 0 = every check, as `bnconvert validate` does for file integrity. */
enum {
    BNM_OPEN_DEFAULT = 0,
    BNM_OPEN_SKIP_CHECKSUMS = 1u << 0, /* do not read tensor data to verify CRC-32s (rule 14) */
    BNM_OPEN_SKIP_PADDING = 1u << 1,   /* do not check the padding after the manifest and between tensors (rule 14) */
    /* Steps 1-13 of FORMAT.md only: reads header and manifest, never the tensor data. */
    BNM_OPEN_STRUCTURE_ONLY = BNM_OPEN_SKIP_CHECKSUMS | BNM_OPEN_SKIP_PADDING
};

typedef enum bnm_dtype {
    BNM_F16, BNM_BF16, BNM_F32, BNM_F64, BNM_I8, BNM_I16, BNM_I32, BNM_I64, BNM_U8
} bnm_dtype;

typedef enum bnm_bn_mode {
    BNM_BN_NONE = 0,          /* not a batch-norm layer */
    BNM_BN_SPATIAL,           /* CUDNN_BATCHNORM_SPATIAL, parameters [1, C, 1, 1] */
    BNM_BN_PER_ACTIVATION     /* CUDNN_BATCHNORM_PER_ACTIVATION, parameters [1, C, H, W] */
} bnm_bn_mode;

/*
 * Layer kinds. The values are part of the ABI: a program built against an older bnm.h keeps
 * working with a newer bnm.c, so a kind added later is appended after the last value (never
 * inserted, which would renumber BNM_KIND_UNMAPPED and those after it) and the values below
 * never change. A program should treat a value it does not know like BNM_KIND_UNMAPPED (it
 * cannot run the layer) and may read bnm_layer_kind() for its name.
 */
typedef enum bnm_kind {
    BNM_KIND_INPUT = 0, BNM_KIND_CONV2D = 1, BNM_KIND_DEPTHWISE_CONV2D = 2, BNM_KIND_SEPARABLE_CONV2D = 3,
    BNM_KIND_DENSE = 4, BNM_KIND_BATCH_NORM = 5, BNM_KIND_ACTIVATION = 6, BNM_KIND_MAX_POOL2D = 7,
    BNM_KIND_AVG_POOL2D = 8, BNM_KIND_GLOBAL_AVG_POOL2D = 9, BNM_KIND_GLOBAL_MAX_POOL2D = 10, BNM_KIND_FLATTEN = 11,
    BNM_KIND_RESHAPE = 12, BNM_KIND_ADD = 13, BNM_KIND_CONCATENATE = 14, BNM_KIND_ZERO_PADDING2D = 15,
    BNM_KIND_DROPOUT = 16, BNM_KIND_RESCALE = 17, BNM_KIND_MULTIPLY = 18, BNM_KIND_UPSAMPLE2D = 19,
    BNM_KIND_CROPPING2D = 20, BNM_KIND_NORMALIZE = 21, BNM_KIND_UNMAPPED = 22,
    /* Added after UNMAPPED to keep the values above (FORMAT.md lists it before unmapped). */
    BNM_KIND_LAYER_NORM = 23  /* normalisation over the channels at each position; attribute "epsilon" > 0,
                                 optional tensors "gamma", "beta" [1, C, 1, 1] (absent: 1 and 0) */
} bnm_kind;

typedef struct bnm_tensor {
    const char *name;      /* unique in the file */
    size_t name_len;
    bnm_dtype dtype;
    size_t rank;           /* 0 = scalar */
    const int64_t *dims;   /* rank dimensions, outermost first, each 0 ... 2^53 */
    const void *data;      /* into the mapping; byte_length bytes, little-endian, row-major */
    uint64_t byte_length;  /* dtype size x product(dims) */
    uint64_t file_offset;  /* data_offset + offset: where data starts in the file */
    uint32_t crc32;        /* as recorded in the manifest (verified unless SKIP_CHECKSUMS) */
} bnm_tensor;

typedef struct bnm_file bnm_file;
typedef struct bnm_layer bnm_layer;
typedef struct bnm_json bnm_json;

/* Opening and closing. On failure *out is NULL, err (if not NULL) says why. */
bnm_code bnm_open(const char *path, unsigned flags, bnm_file **out, bnm_error *err);
/* The same checks on bytes in memory (not copied: they must outlive the bnm_file). `name`
 * is used in messages only. */
bnm_code bnm_open_memory(const void *bytes, size_t size, const char *name, unsigned flags,
                         bnm_file **out, bnm_error *err);
void bnm_close(bnm_file *file);

const char *bnm_code_name(bnm_code code);   /* "FILE003", "OK", "IO", ... */
const char *bnm_rule_name(bnm_rule rule);   /* "truncated", "checksumMismatch", ... */
const char *bnm_dtype_name(bnm_dtype dtype);/* "f32", ... */
size_t bnm_dtype_size(bnm_dtype dtype);
uint32_t bnm_crc32(uint32_t crc, const void *bytes, size_t length); /* zlib.crc32 (start with 0) */

/* The file. */
uint16_t bnm_file_major(const bnm_file *file);
uint16_t bnm_file_minor(const bnm_file *file);
uint32_t bnm_file_flags(const bnm_file *file);
const char *bnm_model_name(const bnm_file *file);
size_t bnm_input_count(const bnm_file *file);
const char *bnm_input_name(const bnm_file *file, size_t index);   /* NULL when out of range */
size_t bnm_output_count(const bnm_file *file);
const char *bnm_output_name(const bnm_file *file, size_t index);
const bnm_json *bnm_manifest(const bnm_file *file);               /* the whole parsed manifest */
const char *bnm_manifest_text(const bnm_file *file, size_t *length); /* exact bytes, not NUL-terminated */

/* Layers, in topological order. */
size_t bnm_layer_count(const bnm_file *file);
const bnm_layer *bnm_layer_at(const bnm_file *file, size_t index);
const bnm_layer *bnm_find_layer(const bnm_file *file, const char *name);
const char *bnm_layer_name(const bnm_layer *layer);
const char *bnm_layer_kind(const bnm_layer *layer);         /* "conv2d", "batch_norm", ... */
bnm_kind bnm_layer_kind_id(const bnm_layer *layer);
bnm_bn_mode bnm_layer_bn_mode(const bnm_layer *layer);      /* BNM_BN_NONE unless batch_norm */
/* A conv2d's "groups" (grouped convolution: filters and input channels split into this many
 * equal groups, kernel OIHW [filters, C / groups, kh, kw]): the attribute, or 1 when the file
 * leaves it out (as writers do for an ordinary convolution). 0 for a layer of any other kind.
 * bnm_layer_attr_int(layer, "groups", ...) gives the attribute only when it is written. */
int64_t bnm_layer_groups(const bnm_layer *layer);
size_t bnm_layer_inbound_count(const bnm_layer *layer);
const char *bnm_layer_inbound(const bnm_layer *layer, size_t index);
/* Per-sample output shape; returns 0 (and rank 0) when the manifest does not record it. */
int bnm_layer_output_shape(const bnm_layer *layer, size_t *rank, const int64_t **dims);

/* A layer's tensors, in the layer's order, with their roles. */
size_t bnm_layer_tensor_count(const bnm_layer *layer);
const char *bnm_layer_tensor_role(const bnm_layer *layer, size_t index);
const bnm_tensor *bnm_layer_tensor_at(const bnm_layer *layer, size_t index);
const bnm_tensor *bnm_layer_tensor(const bnm_layer *layer, const char *role); /* NULL if absent */

/* The tensor table, in data order. */
size_t bnm_tensor_count(const bnm_file *file);
const bnm_tensor *bnm_tensor_at(const bnm_file *file, size_t index);
const bnm_tensor *bnm_find_tensor(const bnm_file *file, const char *name);

/*
 * Attributes (the layer's "attributes" object), generically. Each returns 1 when `key` exists
 * with the requested type and 0 otherwise (out untouched).
 *  _int:     an integer (written without fraction or exponent)
 *  _number:  any number, as a double
 *  _bool:    true/false as 1/0
 *  _string:  a string (length optional)
 *  _ints:    an array of integers: *count = its length, the first min(cap, count) copied to out
 */
int bnm_layer_attr_int(const bnm_layer *layer, const char *key, int64_t *out);
int bnm_layer_attr_number(const bnm_layer *layer, const char *key, double *out);
int bnm_layer_attr_bool(const bnm_layer *layer, const char *key, int *out);
int bnm_layer_attr_string(const bnm_layer *layer, const char *key, const char **out, size_t *length);
int bnm_layer_attr_ints(const bnm_layer *layer, const char *key, int64_t *out, size_t cap, size_t *count);
const bnm_json *bnm_layer_attributes(const bnm_layer *layer);
/* The fused/standalone activation's name ("relu", "leaky_relu", ...) or NULL; its numeric
 * parameters ("alpha", "axis", ...) through bnm_layer_activation_param. */
const char *bnm_layer_activation(const bnm_layer *layer);
int bnm_layer_activation_param(const bnm_layer *layer, const char *key, double *out);

/* The parsed JSON, read-only (for attributes, unmapped configs, provenance...). */
typedef enum bnm_json_type {
    BNM_JSON_NULL, BNM_JSON_BOOL, BNM_JSON_NUMBER, BNM_JSON_STRING, BNM_JSON_ARRAY, BNM_JSON_OBJECT
} bnm_json_type;
bnm_json_type bnm_json_type_of(const bnm_json *value);
size_t bnm_json_count(const bnm_json *value);                     /* elements / members */
const bnm_json *bnm_json_at(const bnm_json *value, size_t index);  /* array element or object member value */
const char *bnm_json_key_at(const bnm_json *value, size_t index);  /* object member key */
const bnm_json *bnm_json_get(const bnm_json *object, const char *key);
int bnm_json_is_int(const bnm_json *value);
int64_t bnm_json_int(const bnm_json *value);    /* 0 unless is_int */
double bnm_json_number(const bnm_json *value);  /* 0 unless a number */
int bnm_json_bool(const bnm_json *value);
const char *bnm_json_string(const bnm_json *value, size_t *length); /* NULL unless a string */

#ifdef __cplusplus
}
#endif
#endif /* BNM_H */
