/* Checksum kernels for OpenCL: the shared core in kernels/common/checksums.h. */
#include "checksums.h"
