#pragma once
// A fixed pool of worker threads (std::thread: native, and Emscripten pthreads in the browser).
#include <cstdint>
#include <functional>
#include <memory>

namespace ws {

class ThreadPool {
 public:
  explicit ThreadPool(int threads = 0);  // 0: std::thread::hardware_concurrency()
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;
  int size() const;
  // Runs body(begin, end) over [0, n) split into chunks on all threads; returns when all are done.
  // The calling thread takes part. Exceptions from body are rethrown here.
  void parallel_for(int64_t n, const std::function<void(int64_t, int64_t)>& body, int64_t grain = 1);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ws
