/* BLS12-381 decompression and msm kernels for CUDA (CuPy RawModule, nvcc): the shared core in
 * kernels/common/bls12_381.h. */
#include "bls12_381.h"
