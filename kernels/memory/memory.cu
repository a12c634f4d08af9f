/* Page kernels for CUDA (CuPy RawModule, nvcc): the shared core in kernels/common/memory.h. */
#include "memory.h"
