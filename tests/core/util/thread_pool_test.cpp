#include "util/thread_pool.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <stdexcept>
#include <thread>
#include <vector>

using ws::ThreadPool;

TEST_CASE("parallel_for covers every index exactly once", "[spectrum]") {
  for (int threads : {1, 2, 3, 8}) {
    ThreadPool pool(threads);
    REQUIRE(pool.size() == threads);
    for (int64_t n : {0, 1, 2, 7, 1000, 100003}) {
      for (int64_t grain : {1, 5, 4096}) {
        std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
        std::atomic<int> bad_chunks{0};  // Catch2 assertions are not thread-safe: count, check after
        pool.parallel_for(n, [&](int64_t b, int64_t e) {
          if (b >= e || e - b < std::min<int64_t>(grain, n - b)) ++bad_chunks;
          for (int64_t i = b; i < e; ++i) hits[i]++;
        }, grain);
        REQUIRE(bad_chunks == 0);
        for (int64_t i = 0; i < n; ++i) REQUIRE(hits[i] == 1);
      }
    }
  }
}

TEST_CASE("parallel_for uses several threads", "[spectrum]") {
  ThreadPool pool(2);
  std::atomic<int> inside{0}, overlap{0};
  // Each index waits briefly for a partner so two threads must be inside at once.
  pool.parallel_for(2, [&](int64_t, int64_t) {
    if (++inside == 2) overlap = 1;
    for (int spin = 0; spin < 2000 && !overlap; ++spin) std::this_thread::sleep_for(std::chrono::microseconds(500));
    --inside;
  });
  REQUIRE(overlap == 1);
}

TEST_CASE("parallel_for rethrows a body's exception and stays usable", "[spectrum]") {
  ThreadPool pool(2);
  REQUIRE_THROWS_AS(pool.parallel_for(100, [](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i)
      if (i == 42) throw std::runtime_error("boom");
  }), std::runtime_error);
  std::atomic<int64_t> sum{0};
  pool.parallel_for(100, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) sum += i;
  });
  REQUIRE(sum == 4950);
}

TEST_CASE("nested and concurrent parallel_for calls complete", "[spectrum]") {
  ThreadPool pool(2);
  std::atomic<int64_t> sum{0};
  pool.parallel_for(10, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i)
      pool.parallel_for(10, [&](int64_t b2, int64_t e2) { sum += e2 - b2; });
  });
  REQUIRE(sum == 100);

  // Two outside threads submitting at once: one gets the pool, the other runs inline.
  std::atomic<int64_t> total{0};
  auto job = [&] {
    for (int rep = 0; rep < 50; ++rep)
      pool.parallel_for(1000, [&](int64_t b, int64_t e) { total += e - b; });
  };
  std::thread a(job), c(job);
  a.join();
  c.join();
  REQUIRE(total == 2 * 50 * 1000);
}
