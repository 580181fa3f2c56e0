#pragma once
// Flush-to-zero for the calling thread while in scope. Loops whose state decays
// geometrically towards zero (optimizer moments of parameters whose gradient is mostly zero:
// dead ReLUs, dropout, blank input pixels) otherwise fill with subnormal floats, and x86 and
// ARM cores take a microcode assist, ~100 cycles, for each operation on one: a training run
// got 9x slower per epoch over 30 epochs that way. Values below FLT_MIN (1.2e-38) become 0,
// which moves no parameter by more than lr * 1e-38 / eps.
#include <cstdint>

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#include <xmmintrin.h>
#endif

namespace ember::cpu {

class FlushDenormals {
 public:
#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
  // MXCSR bits FTZ (results) and DAZ (inputs).
  FlushDenormals() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | 0x8040u); }
  ~FlushDenormals() { _mm_setcsr(saved_); }

 private:
  unsigned saved_;
#elif defined(__aarch64__)
  // FPCR.FZ (bit 24) flushes both inputs and results.
  FlushDenormals() {
    asm volatile("mrs %0, fpcr" : "=r"(saved_));
    asm volatile("msr fpcr, %0" ::"r"(saved_ | (uint64_t{1} << 24)));
  }
  ~FlushDenormals() { asm volatile("msr fpcr, %0" ::"r"(saved_)); }

 private:
  uint64_t saved_;
#else
  FlushDenormals() = default;
#endif
  FlushDenormals(const FlushDenormals&) = delete;
  FlushDenormals& operator=(const FlushDenormals&) = delete;
};

}  // namespace ember::cpu
