#pragma once
// One thread pool shared by the tests of code that takes a pool: two threads, so that the parallel
// paths are the ones checked against the references.
#include "util/thread_pool.h"

namespace ws_test {

inline ws::ThreadPool& test_pool() {
  static ws::ThreadPool pool(2);
  return pool;
}

}  // namespace ws_test
