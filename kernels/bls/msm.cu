/* BLS12-381 decompression, msm and hash-to-curve kernels for CUDA (CuPy RawModule, nvcc): the shared core in
 * kernels/common/bls12_381.h and bls12_381_hash.h. */
#include "bls12_381_hash.h"
