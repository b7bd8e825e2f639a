#!/bin/sh
# Reference: grid-stride loop (a few blocks per SM, each thread sums many elements in double),
# warp-shuffle reduction, one shared-memory step per block, and a single atomicAdd per block.
set -e
cat > kernel.cu <<'CU'
#include <cuda_runtime.h>

__global__ void sumsq_blocks(long n, const float *__restrict__ x, double *out) {
  double s = 0.0;
  long stride = (long)gridDim.x * blockDim.x;
  for (long i = (long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
    double v = x[i];
    s += v * v;
  }
  for (int o = 16; o > 0; o >>= 1) s += __shfl_down_sync(0xffffffffu, s, o);
  __shared__ double warp[32];
  int lane = threadIdx.x & 31, w = threadIdx.x >> 5;
  if (lane == 0) warp[w] = s;
  __syncthreads();
  if (w == 0) {
    s = lane < (int)(blockDim.x >> 5) ? warp[lane] : 0.0;
    for (int o = 16; o > 0; o >>= 1) s += __shfl_down_sync(0xffffffffu, s, o);
    if (lane == 0) atomicAdd(out, s);
  }
}

void sumsq_gpu(long n, const float *x, double *out) {
  if (n == 0) return;
  int dev = 0, sms = 0;
  cudaGetDevice(&dev);
  cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev);
  long blocks = (n + 255) / 256, cap = 4L * (sms > 0 ? sms : 80);
  if (blocks > cap) blocks = cap;
  sumsq_blocks<<<(unsigned)blocks, 256>>>(n, x, out);
}
CU
