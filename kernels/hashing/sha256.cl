/* SHA-256 batch kernel for OpenCL: the shared core in kernels/common/sha256.h. */
#include "sha256.h"
