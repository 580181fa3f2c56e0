// An outside project: includes ember as an installed user does and runs a backward.
#include <ember/ember.h>

#include <cstdio>

int main() {
  ember::Tensor w = ember::tensor({1.f, 2.f, 3.f}).requires_grad_();
  ember::Tensor loss = (w * w).sum();
  loss.backward();
  auto g = w.grad().to_vector<float>();
  bool ok = g[0] == 2.f && g[1] == 4.f && g[2] == 6.f;
  std::printf("%s\n", ok ? "grad ok" : "grad wrong");
  return ok ? 0 : 1;
}
