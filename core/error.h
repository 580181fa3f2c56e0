#pragma once
// Error hierarchy and the one checking macro. Library code throws these; it never aborts.
#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace ember {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
class ShapeError : public Error {
 public:
  using Error::Error;
};
class DTypeError : public Error {
 public:
  using Error::Error;
};
class DeviceError : public Error {
 public:
  using Error::Error;
};
class IndexError : public Error {
 public:
  using Error::Error;
};
class ValueError : public Error {
 public:
  using Error::Error;
};
// An op has no kernel for a device, or a feature is absent from this build.
class NotImplementedError : public Error {
 public:
  using Error::Error;
};
// Misuse of the autograd engine: backward through a freed graph, a saved tensor
// modified in place, grad of a non-scalar without an explicit gradient.
class AutogradError : public Error {
 public:
  using Error::Error;
};
// Anomaly mode (core/anomaly.h) found a NaN or Inf in an op's output or in a gradient.
class AnomalyError : public Error {
 public:
  using Error::Error;
};
class CudaError : public Error {
 public:
  using Error::Error;
};
// A failed cuBLAS or cuDNN call (the library's status string is in the message).
class CublasError : public CudaError {
 public:
  using CudaError::CudaError;
};
class CudnnError : public CudaError {
 public:
  using CudaError::CudaError;
};
// A device allocation failed even after the allocator's cache was returned to the driver.
class OutOfMemoryError : public CudaError {
 public:
  using CudaError::CudaError;
};
class IOError : public Error {
 public:
  using Error::Error;
};

namespace detail {
template <class E, class... Args>
[[noreturn]] void throw_error(fmt::format_string<Args...> f, Args&&... args) {
  throw E(fmt::format(f, std::forward<Args>(args)...));
}
}  // namespace detail

}  // namespace ember

// EMBER_CHECK(cond, ErrorType, "op: message {} {}", values...)
// The message is formatted only when the check fails.
#define EMBER_CHECK(cond, ErrorType, ...)                              \
  do {                                                                 \
    if (!(cond)) [[unlikely]] {                                        \
      ::ember::detail::throw_error<::ember::ErrorType>(__VA_ARGS__);   \
    }                                                                  \
  } while (0)

#define EMBER_THROW(ErrorType, ...) ::ember::detail::throw_error<::ember::ErrorType>(__VA_ARGS__)
