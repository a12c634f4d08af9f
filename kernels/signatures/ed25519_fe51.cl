/* Ed25519 verification kernel for OpenCL on CPU devices: the shared core in kernels/common/ed25519.h with
 * radix-2^51 field arithmetic (128-bit products through mul_hi), libsodium's layout on 64-bit CPUs. */
#define ED25519_FE51
#include "ed25519.h"
