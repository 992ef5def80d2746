/* example: list a .bnm model's layers the way an engine would start reading one.
 *   cc -std=c99 example.c bnm.c -o example && ./example model.bnm */
#include "bnm.h"

#include <stdio.h>

static void print_shape(size_t rank, const int64_t *dims) {
    size_t i;
    printf("[");
    for (i = 0; i < rank; i++) printf("%s%lld", i ? ", " : "", (long long)dims[i]);
    printf("]");
}

int main(int argc, char **argv) {
    bnm_file *file;
    bnm_error err;
    size_t i, j, rank;
    const int64_t *dims;
    if (argc != 2) {
        fprintf(stderr, "usage: %s MODEL.bnm\n", argv[0]);
        return 64;
    }
    /* Every check, tensor CRC-32s included; BNM_OPEN_STRUCTURE_ONLY skips reading the data. */
    if (bnm_open(argv[1], BNM_OPEN_DEFAULT, &file, &err) != BNM_OK) {
        fprintf(stderr, "error %s (%s): %s\n", bnm_code_name(err.code), bnm_rule_name(err.rule), err.message);
        return 2;
    }
    printf("model %s: %zu layers, %zu tensors\n", bnm_model_name(file), bnm_layer_count(file), bnm_tensor_count(file));
    for (i = 0; i < bnm_layer_count(file); i++) {
        const bnm_layer *layer = bnm_layer_at(file, i);
        const char *activation = bnm_layer_activation(layer);
        int64_t filters;
        printf("%-28s %-18s", bnm_layer_name(layer), bnm_layer_kind(layer));
        if (bnm_layer_bn_mode(layer) == BNM_BN_SPATIAL) printf(" spatial");
        if (bnm_layer_bn_mode(layer) == BNM_BN_PER_ACTIVATION) printf(" per_activation");
        if (bnm_layer_attr_int(layer, "filters", &filters)) printf(" filters=%lld", (long long)filters);
        if (activation != NULL) printf(" activation=%s", activation);
        if (bnm_layer_output_shape(layer, &rank, &dims)) {
            printf(" -> ");
            print_shape(rank, dims);
        }
        for (j = 0; j < bnm_layer_inbound_count(layer); j++) printf("%s%s", j ? ", " : " <- ", bnm_layer_inbound(layer, j));
        printf("\n");
        for (j = 0; j < bnm_layer_tensor_count(layer); j++) {
            const bnm_tensor *t = bnm_layer_tensor_at(layer, j);
            printf("    %-18s %-4s ", bnm_layer_tensor_role(layer, j), bnm_dtype_name(t->dtype));
            print_shape(t->rank, t->dims);
            printf("  %llu bytes at %p\n", (unsigned long long)t->byte_length, t->data);
        }
    }
    bnm_close(file);
    return 0;
}
