/* ECDSA verification kernel for CUDA (CuPy RawModule, nvcc): the shared core in kernels/common/ecdsa.h. */
#include "ecdsa.h"
