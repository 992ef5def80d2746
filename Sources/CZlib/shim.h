// The system zlib, for its CRC-32: Debian's build folds several words per step with
// carry-less multiplication where the CPU has it, well beyond a table-driven loop.
#ifndef BNCONVERT_CZLIB_SHIM_H
#define BNCONVERT_CZLIB_SHIM_H
#include <zlib.h>
#endif
