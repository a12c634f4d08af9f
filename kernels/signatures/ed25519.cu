/* Ed25519 verification kernel for CUDA (CuPy RawModule, nvcc): the shared core in kernels/common/ed25519.h. */
#include "ed25519.h"
