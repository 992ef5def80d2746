/* bnmdump: what the C reader sees in a .bnm, as one JSON object (test glue for test.sh).
 *   bnmdump [--structure] FILE
 * --structure opens with BNM_OPEN_STRUCTURE_ONLY (FORMAT.md steps 1-13, like `bnconvert
 * inspect`); the default runs every check (like the file rules of `bnconvert validate`).
 * Exit 0 accepted, 2 rejected. The CRC-32 printed per tensor is computed here from the bytes
 * the reader hands out. */
#include "bnm.h"

#include <stdio.h>
#include <string.h>

static void str_out(const char *s, size_t len) {
    size_t k;
    putchar('"');
    for (k = 0; k < len; k++) {
        unsigned char ch = (unsigned char)s[k];
        if (ch == '"' || ch == '\\') printf("\\%c", ch);
        else if (ch < 0x20) printf("\\u%04x", ch);
        else putchar(ch);
    }
    putchar('"');
}

static void cstr_out(const char *s) { str_out(s, strlen(s)); }

static void json_out(const bnm_json *v) {
    size_t k, n;
    switch (bnm_json_type_of(v)) {
    case BNM_JSON_NULL: printf("null"); break;
    case BNM_JSON_BOOL: printf(bnm_json_bool(v) ? "true" : "false"); break;
    case BNM_JSON_NUMBER:
        if (bnm_json_is_int(v)) printf("%lld", (long long)bnm_json_int(v));
        else printf("%.17g", bnm_json_number(v));
        break;
    case BNM_JSON_STRING: {
        size_t len;
        const char *s = bnm_json_string(v, &len);
        str_out(s, len);
        break;
    }
    case BNM_JSON_ARRAY:
        putchar('[');
        n = bnm_json_count(v);
        for (k = 0; k < n; k++) {
            if (k) putchar(',');
            json_out(bnm_json_at(v, k));
        }
        putchar(']');
        break;
    case BNM_JSON_OBJECT:
        putchar('{');
        n = bnm_json_count(v);
        for (k = 0; k < n; k++) {
            if (k) putchar(',');
            cstr_out(bnm_json_key_at(v, k));
            putchar(':');
            json_out(bnm_json_at(v, k));
        }
        putchar('}');
        break;
    }
}

int main(int argc, char **argv) {
    unsigned flags = BNM_OPEN_DEFAULT;
    const char *path = NULL;
    bnm_file *file;
    bnm_error err;
    size_t i, j;
    int a;
    for (a = 1; a < argc; a++) {
        if (strcmp(argv[a], "--structure") == 0) flags = BNM_OPEN_STRUCTURE_ONLY;
        else path = argv[a];
    }
    if (path == NULL) {
        fprintf(stderr, "usage: bnmdump [--structure] FILE.bnm\n");
        return 64;
    }
    if (bnm_open(path, flags, &file, &err) != BNM_OK) {
        printf("{\"ok\":false,\"code\":\"%s\",\"rule\":\"%s\",\"pointer\":", bnm_code_name(err.code), bnm_rule_name(err.rule));
        cstr_out(err.pointer);
        printf(",\"message\":");
        cstr_out(err.message);
        printf("}\n");
        return 2;
    }
    printf("{\"ok\":true,\"minor\":%u,\"model\":", bnm_file_minor(file));
    cstr_out(bnm_model_name(file));
    printf(",\"layers\":[");
    for (i = 0; i < bnm_layer_count(file); i++) {
        const bnm_layer *l = bnm_layer_at(file, i);
        size_t rank;
        const int64_t *dims;
        double epsilon;
        static const char *const modes[] = {"", "spatial", "per_activation"};
        printf("%s{\"name\":", i ? "," : "");
        cstr_out(bnm_layer_name(l));
        printf(",\"kind\":");
        cstr_out(bnm_layer_kind(l));
        printf(",\"kind_id\":%d,\"bn_mode\":\"%s\",\"groups\":%lld,\"epsilon\":", (int)bnm_layer_kind_id(l),
               modes[bnm_layer_bn_mode(l)], (long long)bnm_layer_groups(l));
        if (bnm_layer_attr_number(l, "epsilon", &epsilon)) printf("%.17g", epsilon);
        else printf("null");
        printf(",\"inbound\":[");
        for (j = 0; j < bnm_layer_inbound_count(l); j++) {
            if (j) putchar(',');
            cstr_out(bnm_layer_inbound(l, j));
        }
        printf("],\"output_shape\":");
        if (bnm_layer_output_shape(l, &rank, &dims)) {
            putchar('[');
            for (j = 0; j < rank; j++) printf("%s%lld", j ? "," : "", (long long)dims[j]);
            putchar(']');
        } else {
            printf("null");
        }
        printf(",\"attributes\":");
        json_out(bnm_layer_attributes(l));
        printf(",\"tensors\":[");
        for (j = 0; j < bnm_layer_tensor_count(l); j++) {
            const bnm_tensor *t = bnm_layer_tensor_at(l, j);
            printf("%s[", j ? "," : "");
            cstr_out(bnm_layer_tensor_role(l, j));
            putchar(',');
            str_out(t->name, t->name_len);
            printf(",%d]", bnm_layer_tensor(l, bnm_layer_tensor_role(l, j)) == t);
        }
        printf("]}");
    }
    printf("],\"tensors\":[");
    for (i = 0; i < bnm_tensor_count(file); i++) {
        const bnm_tensor *t = bnm_tensor_at(file, i);
        printf("%s{\"name\":", i ? "," : "");
        str_out(t->name, t->name_len);
        printf(",\"found\":%d,\"dtype\":\"%s\",\"shape\":[", bnm_find_tensor(file, t->name) == t, bnm_dtype_name(t->dtype));
        for (j = 0; j < t->rank; j++) printf("%s%lld", j ? "," : "", (long long)t->dims[j]);
        printf("],\"length\":%llu,\"file_offset\":%llu,\"crc32\":\"%08x\"}", (unsigned long long)t->byte_length,
               (unsigned long long)t->file_offset, bnm_crc32(0, t->data, (size_t)t->byte_length));
    }
    printf("],\"manifest\":");
    json_out(bnm_manifest(file));
    printf("}\n");
    bnm_close(file);
    return 0;
}
