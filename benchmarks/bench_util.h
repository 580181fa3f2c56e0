#pragma once
// Shared by the benchmark executables: interleaved timing against a reference, the
// results table and its JSON. Machines here are shared and noisy, so every number is a
// median next to a reference measured in the same rounds, and the ratio is what counts.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace bench {

using Clock = std::chrono::steady_clock;

// Keeps the compiler from dropping work whose result is only written to memory.
inline void escape(const void* p) { asm volatile("" : : "g"(p) : "memory"); }

inline double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// q in [0, 1], linear interpolation between order statistics.
inline double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(pos);
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

// Interquartile range relative to the median: how far to trust a median.
inline double spread(const std::vector<double>& v) {
  return (quantile(v, 0.75) - quantile(v, 0.25)) / quantile(v, 0.5);
}

struct PairTiming {
  double ours_s = 0, ref_s = 0;  // median seconds per call
  double spread = 0;             // the larger of the two sides' relative IQR
  int samples = 0;               // per side
};

// Times `ours` and `ref` in alternating samples (the order flips every round) so that
// clock changes and neighbours' load hit both sides alike. A sample is a batch of calls
// lasting at least ~2 ms, so that timer resolution and the call overhead of the loop
// do not matter; sampling stops after `budget_s` seconds once there are enough samples.
template <class Ours, class Ref>
PairTiming measure_pair(Ours&& ours, Ref&& ref, double budget_s, int warmup = 3) {
  auto batch = [](auto& f, int reps) {
    auto t0 = Clock::now();
    for (int r = 0; r < reps; ++r) f();
    return seconds_since(t0) / reps;
  };
  // Warm-up pays for JIT compilation, first-touch page faults and cold caches.
  for (int i = 0; i < warmup; ++i) {
    ours();
    ref();
  }
  auto reps_for = [](double per_call) { return std::max(1, static_cast<int>(2e-3 / std::max(per_call, 1e-9))); };
  const int reps_ours = reps_for(batch(ours, 1));
  const int reps_ref = reps_for(batch(ref, 1));
  constexpr int kMinSamples = 9, kMaxSamples = 500;
  std::vector<double> a, b;
  auto t0 = Clock::now();
  while (static_cast<int>(a.size()) < kMaxSamples &&
         (static_cast<int>(a.size()) < kMinSamples || seconds_since(t0) < budget_s)) {
    if (a.size() % 2 == 0) {
      a.push_back(batch(ours, reps_ours));
      b.push_back(batch(ref, reps_ref));
    } else {
      b.push_back(batch(ref, reps_ref));
      a.push_back(batch(ours, reps_ours));
    }
  }
  return {quantile(a, 0.5), quantile(b, 0.5), std::max(spread(a), spread(b)), static_cast<int>(a.size())};
}

struct Row {
  std::string op, size, unit, reference;
  double ours = 0, ref = 0;       // in `unit`, higher is better
  double ours_s = 0, ref_s = 0;   // median seconds per call
  double spread = 0;              // see PairTiming
  int samples = 0;
  double goal = 0;                // minimum acceptable ours / ref
  double ratio() const { return ours / ref; }
  bool met() const { return ratio() >= goal; }
};

inline std::string today() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %Z", std::localtime(&t));
  return buf;
}

inline std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown";
}

// A spread above this means the machine was busy; such a row's ratio is unreliable.
inline constexpr double kNoisy = 0.10;

inline void print_table(const std::vector<Row>& rows) {
  fmt::print("{:<10} {:<12} {:>12} {:>12} {:<12} {:>6} {:>5} {:>7}\n", "operation", "size", "ember", "reference",
             "(reference)", "ratio", "goal", "spread");
  for (const Row& r : rows)
    fmt::print("{:<10} {:<12} {:>7.1f} {:<4} {:>7.1f} {:<4} {:<12} {:>6.3f} {:>5.2f} {:>6.1f}%  {}{}\n", r.op, r.size,
               r.ours, r.unit, r.ref, r.unit, r.reference, r.ratio(), r.goal, 100 * r.spread,
               r.met() ? "ok" : "MISSED", r.spread > kNoisy ? " (noisy)" : "");
}

inline std::string json_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    o += c;
  }
  return o;
}

// Returns false (after saying why) when the file cannot be written.
inline bool write_json(const std::string& path, const std::string& benchmark, const std::string& date, int threads,
                       const std::vector<Row>& rows) {
  std::string s = fmt::format("{{\n  \"benchmark\": \"{}\",\n  \"date\": \"{}\",\n  \"cpu\": \"{}\",\n"
                              "  \"threads\": {},\n  \"results\": [\n",
                              benchmark, date, json_escape(cpu_model()), threads);
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    s += fmt::format(
        "    {{\"operation\": \"{}\", \"size\": \"{}\", \"unit\": \"{}\", \"reference\": \"{}\", "
        "\"ember\": {:.3f}, \"ref\": {:.3f}, \"ratio\": {:.4f}, \"goal\": {:.2f}, \"met\": {}, "
        "\"ember_median_s\": {:.6e}, \"ref_median_s\": {:.6e}, \"spread\": {:.4f}, \"samples\": {}}}{}\n",
        r.op, r.size, r.unit, r.reference, r.ours, r.ref, r.ratio(), r.goal, r.met() ? "true" : "false", r.ours_s,
        r.ref_s, r.spread, r.samples, i + 1 < rows.size() ? "," : "");
  }
  s += "  ]\n}\n";
  std::ofstream out(path);
  out << s;
  if (!out) {
    fmt::print(stderr, "cannot write {}\n", path);
    return false;
  }
  return true;
}

}  // namespace bench
