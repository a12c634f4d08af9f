/* BLS12-381 decompression and msm kernels for OpenCL: the shared core in kernels/common/bls12_381.h. */
#include "bls12_381.h"
