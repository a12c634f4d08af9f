/* Page kernels for CUDA (CuPy RawModule, nvcc): the shared core in kernels/common/pages.h. */
#include "pages.h"
