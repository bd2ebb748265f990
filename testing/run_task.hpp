// Runs a coroutine to completion on a fresh single-threaded io_context (tests only).
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <exception>
#include <optional>
#include <utility>

#include "aisopod/provider.hpp"

namespace aisopod::testing {

template <class T>
Task<void> store_task_result(Task<T> task, std::optional<T>& out) {
  out.emplace(co_await std::move(task));
}

// Runs `task` on its own io_context until it and everything it started have finished, and
// returns its value. An exception escaping the task is rethrown here.
template <class T>
T run_task(Task<T> task) {
  boost::asio::io_context io;
  std::optional<T> out;
  std::exception_ptr failure;
  boost::asio::co_spawn(io, store_task_result(std::move(task), out),
                        [&failure](std::exception_ptr e) { failure = e; });
  io.run();
  if (failure) std::rethrow_exception(failure);
  return std::move(*out);
}

}  // namespace aisopod::testing
