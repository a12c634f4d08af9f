/* SHA-256 batch kernel for CUDA (CuPy RawModule, nvcc): the shared core in kernels/common/sha256.h. */
#include "sha256.h"
