#ifndef CFUZZSHIM_H
#define CFUZZSHIM_H
#include <stddef.h>
#include <stdint.h>

/// libFuzzer's own mutator, callable from a custom mutator (defined by libFuzzer at link time).
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t maxSize);

#endif
