// read_cifar on arbitrary bytes, read as CIFAR-10 and as CIFAR-100 (fine and coarse labels).
#include "ember/data/cifar.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static ember_fuzz::MemFile file("fuzz_cifar");
  const std::string& path = file.write(data, size);
  using ember::data::CifarLabel;
  for (CifarLabel l : {CifarLabel::Cifar10, CifarLabel::Cifar100Fine, CifarLabel::Cifar100Coarse})
    ember_fuzz::expect_ember_error_only([&] { ember::data::read_cifar({path, path}, l); });
  return 0;
}
