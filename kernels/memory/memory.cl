/* Page kernels for OpenCL: the shared core in kernels/common/pages.h. */
#include "pages.h"
