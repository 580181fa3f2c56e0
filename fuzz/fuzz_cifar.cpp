// read_cifar on arbitrary bytes, read as CIFAR-10 and as CIFAR-100 (fine and coarse labels).
#include "ember/data/cifar.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static ember_fuzz::MemFile file("fuzz_cifar");
  const std::string& path = file.write(data, size);
  using ember::data::CifarLabel;
  for (CifarLabel l : {CifarLabel::cifar10, CifarLabel::cifar100_fine, CifarLabel::cifar100_coarse})
    ember_fuzz::expect_ember_error_only([&] { ember::data::read_cifar({path, path}, l); });
  return 0;
}
