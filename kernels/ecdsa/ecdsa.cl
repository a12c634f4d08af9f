/* ECDSA verification kernel for OpenCL: the shared core in kernels/common/ecdsa.h. */
#include "ecdsa.h"
