/* Page kernels for OpenCL: the shared core in kernels/common/memory.h. */
#include "memory.h"
