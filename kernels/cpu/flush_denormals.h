#pragma once
// Flush-to-zero for the calling thread while in scope. Loops whose state decays
// geometrically towards zero (optimizer moments of parameters whose gradient is mostly zero:
// dead ReLUs, dropout, blank input pixels) otherwise fill with subnormal floats, and x86 and
// ARM cores take a microcode assist, ~100 cycles, for each operation on one: a training run
// got 9x slower per epoch over 30 epochs that way. Values below FLT_MIN (1.2e-38) become 0:
// an SGD step then differs by at most lr * 1.2e-38, an Adam step by at most
// lr * 1.2e-38 / ((1 - beta1^t) * eps). With eps = 0 Adam divides by sqrt(v) itself, and a
// flushed v would turn a finite step infinite: callers pass on = false then.
#include <cstdint>

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#include <xmmintrin.h>
#endif

namespace ember::cpu {

class FlushDenormals {
 public:
#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
  // MXCSR bits FTZ (results) and DAZ (inputs).
  explicit FlushDenormals(bool on = true) : saved_(_mm_getcsr()) {
    if (on) _mm_setcsr(saved_ | 0x8040u);
  }
  ~FlushDenormals() { _mm_setcsr(saved_); }

 private:
  unsigned saved_;
#elif defined(__aarch64__)
  // FPCR.FZ (bit 24) flushes both inputs and results.
  // The "memory" clobbers keep the compiler from moving floating-point work across the switch.
  explicit FlushDenormals(bool on = true) {
    asm volatile("mrs %0, fpcr" : "=r"(saved_)::"memory");
    if (on) asm volatile("msr fpcr, %0" ::"r"(saved_ | (uint64_t{1} << 24)) : "memory");
  }
  ~FlushDenormals() { asm volatile("msr fpcr, %0" ::"r"(saved_) : "memory"); }

 private:
  uint64_t saved_;
#else
  explicit FlushDenormals(bool = true) {}
#endif
  FlushDenormals(const FlushDenormals&) = delete;
  FlushDenormals& operator=(const FlushDenormals&) = delete;
};

}  // namespace ember::cpu
