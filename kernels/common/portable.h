/* Portability layer: the same kernel source compiles as OpenCL C (PoCL, GPUs) and as CUDA C++ (nvcc,
 * CuPy RawModule). Kernels are written with these names only. */
#ifndef KERNELS_PORTABLE_H
#define KERNELS_PORTABLE_H

#ifdef __OPENCL_VERSION__
#define KERNEL __kernel
#define GLOBAL __global
#define CONSTANT __constant
#define DEVICE_FN static inline
#define GLOBAL_ID() ((u64)get_global_id(0))
#define GLOBAL_SIZE() ((u64)get_global_size(0))
typedef uchar u8;
typedef uint u32;
typedef ulong u64;
typedef int i32;
typedef long i64;
#else /* CUDA */
#define KERNEL extern "C" __global__
#define GLOBAL
#define CONSTANT __constant__
#define DEVICE_FN static __device__ __forceinline__
#define GLOBAL_ID() ((u64)blockIdx.x * (u64)blockDim.x + (u64)threadIdx.x)
#define GLOBAL_SIZE() ((u64)gridDim.x * (u64)blockDim.x)
typedef unsigned char u8;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef int i32;
typedef long long i64;
#endif

#endif
