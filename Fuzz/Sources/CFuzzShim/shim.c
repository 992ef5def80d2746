// Only here so that SwiftPM has a C target to carry CFuzzShim.h; LLVMFuzzerMutate comes from libFuzzer.
#include "CFuzzShim.h"
