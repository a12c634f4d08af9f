/* Checksum kernels for CUDA (CuPy RawModule, nvcc): the shared core in kernels/common/checksums.h. */
#include "checksums.h"
