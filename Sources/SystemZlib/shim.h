// The system zlib, for its CRC-32: Debian's build folds several words per step with
// carry-less multiplication where the CPU has it, well beyond a table-driven loop.
#ifndef BNCONVERT_SYSTEMZLIB_SHIM_H
#define BNCONVERT_SYSTEMZLIB_SHIM_H
#include <zlib.h>
#endif
