#include "util/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

// Threads exist natively and under Emscripten only when built with -pthread; a single-threaded
// wasm build runs every parallel_for on the calling thread.
#if defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__)
#define WS_POOL_HAS_THREADS 0
#else
#define WS_POOL_HAS_THREADS 1
#endif

namespace ws {

namespace {
// Set on pool workers and on a caller while it runs a job: a parallel_for issued from inside a
// body runs inline instead of waiting for workers that are all busy with the outer job (deadlock).
thread_local bool t_inside_job = false;

struct InsideJob {
  bool saved = t_inside_job;
  InsideJob() { t_inside_job = true; }
  ~InsideJob() { t_inside_job = saved; }
};
}  // namespace

struct ThreadPool::Impl {
  int size = 1;
#if WS_POOL_HAS_THREADS
  std::vector<std::thread> workers;
  std::mutex submit;  // one job at a time; a second concurrent caller runs its job inline
  std::mutex m;
  std::condition_variable wake, done;
  bool stopping = false;
  // Written under m; atomic so that waiters can poll them before sleeping.
  std::atomic<uint64_t> generation{0};  // bumped per job so a worker takes each job once
  std::atomic<int> active{0};           // workers still inside the current job
  // The current job.
  const std::function<void(int64_t, int64_t)>* body = nullptr;
  int64_t n = 0, chunk = 1;
  std::atomic<int64_t> next{0};
  std::exception_ptr error;
  std::mutex error_m;

  // Chunks are claimed dynamically so uneven work (triangular Gram tiles) balances itself.
  void run_chunks() {
    InsideJob guard;
    for (;;) {
      const int64_t b = next.fetch_add(chunk);
      if (b >= n) return;
      try {
        (*body)(b, std::min(n, b + chunk));
      } catch (...) {
        std::lock_guard<std::mutex> lk(error_m);
        if (!error) error = std::current_exception();
        next.store(n);  // stop handing out further chunks
      }
    }
  }

  // Polls cond for up to kPollMicros (yielding the core) before a caller falls back to sleeping on a
  // condition variable: the spectrum kernels issue many short jobs back to back, and a futex wake
  // costs more than such a job.
  template <typename Cond>
  static void poll(Cond cond) {
    constexpr int kPollMicros = 50;
    const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(kPollMicros);
    while (!cond() && std::chrono::steady_clock::now() < until) std::this_thread::yield();
  }

  void worker_loop() {
    uint64_t seen = 0;
    for (;;) {
      poll([&] { return generation.load(std::memory_order_relaxed) != seen; });
      {
        std::unique_lock<std::mutex> lk(m);
        wake.wait(lk, [&] { return stopping || generation != seen; });
        if (stopping) return;
        seen = generation;
      }
      run_chunks();
      std::lock_guard<std::mutex> lk(m);
      if (--active == 0) done.notify_all();
    }
  }
#endif
};

ThreadPool::ThreadPool(int threads) : impl_(new Impl) {
#if WS_POOL_HAS_THREADS
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  impl_->size = threads;
  for (int i = 1; i < threads; ++i) impl_->workers.emplace_back([this] { impl_->worker_loop(); });
#else
  (void)threads;
  impl_->size = 1;
#endif
}

ThreadPool::~ThreadPool() {
#if WS_POOL_HAS_THREADS
  {
    std::lock_guard<std::mutex> lk(impl_->m);
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
  for (auto& t : impl_->workers) t.join();
#endif
}

int ThreadPool::size() const { return impl_->size; }

void ThreadPool::parallel_for(int64_t n, const std::function<void(int64_t, int64_t)>& body, int64_t grain) {
  if (n <= 0) return;
  grain = std::max<int64_t>(1, grain);
#if WS_POOL_HAS_THREADS
  Impl& p = *impl_;
  std::unique_lock<std::mutex> submit(p.submit, std::defer_lock);
  if (p.workers.empty() || n <= grain || t_inside_job || !submit.try_lock()) {
    InsideJob guard;
    body(0, n);
    return;
  }
  // About 4 chunks per thread bound the atomic traffic yet leave room to balance; never below grain.
  const int64_t chunk = std::max(grain, (n + 4 * p.size - 1) / (4 * p.size));
  {
    std::lock_guard<std::mutex> lk(p.m);
    p.body = &body;
    p.n = n;
    p.chunk = chunk;
    p.next.store(0);
    p.error = nullptr;
    p.active = static_cast<int>(p.workers.size());
    ++p.generation;
  }
  p.wake.notify_all();
  p.run_chunks();
  Impl::poll([&] { return p.active.load(std::memory_order_relaxed) == 0; });
  std::unique_lock<std::mutex> lk(p.m);
  p.done.wait(lk, [&] { return p.active == 0; });
  p.body = nullptr;
  if (p.error) std::rethrow_exception(p.error);
#else
  InsideJob guard;
  body(0, n);
#endif
}

}  // namespace ws
