#!/bin/sh
# Deliberately wrong (for `agentdyno tasks validate`): one block-sized grid without a stride loop,
# so only the first 256*1024 elements are summed (fast, wrong for larger n).
set -e
cat > kernel.cu <<'CU'
#include <cuda_runtime.h>
__global__ void part(long n, const float *x, double *out) {
  long i = (long)blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) atomicAdd(out, (double)x[i] * x[i]);
}
void sumsq_gpu(long n, const float *x, double *out) {
  if (n == 0) return;
  long blocks = (n + 255) / 256;
  if (blocks > 1024) blocks = 1024;
  part<<<(unsigned)blocks, 256>>>(n, x, out);
}
CU
