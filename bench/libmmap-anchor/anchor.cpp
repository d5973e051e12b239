// libmmap's bookkeeping on the workloads of MixedWorkloadBenchmarks and RangeMapBenchmarks (same
// SplitMix64 streams, same checksums), so MemGate's figures can be compared with libmmap's from the
// same run. Prints one line per workload: name, ns per operation (minimum of the rounds), checksum.
// Built and run by bench/libmmap-anchor/run.sh against a libmmap checkout.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

// The checksum folds the final entries, which libmmap keeps private.
#define private public
#include "addr_space.h"
#undef private

namespace {

struct SplitMix64 {
  uint64_t state;
  uint64_t next() {
    uint64_t z = state += 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  uint64_t below(uint64_t bound) { return next() % bound; }
};

constexpr uint64_t kFnvBasis = 0xCBF29CE484222325ULL;
constexpr uint64_t kFnvPrime = 0x100000001B3ULL;

double now_ns() {
  return std::chrono::duration<double, std::nano>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// 1,000,000 operations in a 1 GiB window: 50 % map_at, 30 % unmap, 20 % protect.
uint64_t mixed(size_t *mappings) {
  constexpr int kOps = 1000000;
  constexpr uint64_t kPage = 4096, kBase = 0x10000, kWindow = 1ULL << 30;
  static const int prots[] = {1, 3, 5};
  mmap::AddrSpace space;
  space.init(kBase, kWindow, kPage);
  SplitMix64 random{0xB0B};
  uint64_t pages_in_window = kWindow / kPage;
  for (int i = 0; i < kOps; i++) {
    uint64_t kind = random.below(100);
    uint64_t pages = 1 + random.below(16);
    uint64_t page = random.below(pages_in_window - pages + 1);
    uint64_t address = kBase + page * kPage;
    if (kind < 50) {
      space.map_at(address, pages * kPage, prots[random.below(3)], 0, -1, 0);
    } else if (kind < 80) {
      space.unmap(address, pages * kPage);
    } else {
      space.protect(address, pages * kPage, prots[random.below(3)]);
    }
  }
  uint64_t checksum = kFnvBasis;
  for (auto &[start, rest] : space.regions_.Map_) {
    checksum = (checksum ^ (start * kPage)) * kFnvPrime;
    checksum = (checksum ^ (rest.first * kPage)) * kFnvPrime;
    checksum = (checksum ^ (uint64_t)rest.second.prot) * kFnvPrime;
  }
  *mappings = space.regions_.size();
  return checksum;
}

// 1,000,000 inserts: start below 2^32, 1-65,536 long, one of four values.
uint64_t inserts(size_t *entries) {
  constexpr int kInserts = 1000000;
  SplitMix64 random{0xD00D};
  mmap::RangeMap<uint64_t, int> map;
  for (int i = 0; i < kInserts; i++) {
    uint64_t start = random.below(1ULL << 32);
    uint64_t end = start + 1 + random.below(65536);
    map.insert(start, end, (int)random.below(4));
  }
  uint64_t checksum = kFnvBasis;
  for (auto &[start, rest] : map.Map_) {
    checksum = (checksum ^ start) * kFnvPrime;
    checksum = (checksum ^ rest.first) * kFnvPrime;
    checksum = (checksum ^ (uint64_t)rest.second) * kFnvPrime;
  }
  *entries = map.size();
  return checksum;
}

template <class F> void report(const char *name, int ops, int rounds, F body) {
  double best = 1e300;
  uint64_t checksum = 0;
  size_t count = 0;
  for (int r = 0; r < rounds; r++) {
    double t0 = now_ns();
    checksum = body(&count);
    double ns = (now_ns() - t0) / ops;
    if (ns < best)
      best = ns;
  }
  std::printf("%s\t%.1f\t0x%016llX\t%zu\n", name, best, (unsigned long long)checksum, count);
}

} // namespace

int main(int argc, char **argv) {
  int rounds = argc > 1 ? std::atoi(argv[1]) : 5;
  report("Mixed", 1000000, rounds, mixed);
  report("Insert", 1000000, rounds, inserts);
  return 0;
}
